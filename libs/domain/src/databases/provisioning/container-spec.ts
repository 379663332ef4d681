import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { EngineContext, ENGINES, imageRef } from '../../engines';
import type { ContainerIoLimits, ContainerSpec } from '../../ports';

/** One container per database, named after its id: a retried job finds the container it made before. */
export function containerName(databaseId: string): string {
  return `dbaas-${databaseId}`;
}

export function buildContainerSpec(args: {
  db: DatabaseEntity;
  host: HostEntity;
  plan: PlanEntity;
  hostPath: string;
  ctx: EngineContext;
  registry?: string;
  /** The disk holding the volume on the host (see volumeBlockDevice); null or absent: no disk caps. */
  ioDevice?: string | null;
}): ContainerSpec {
  const { db, host, plan, hostPath, ctx } = args;
  const engine = ENGINES[db.engine];
  if (!db.port) throw new Error('database has no port allocated');
  return {
    name: containerName(db.id),
    image: imageRef(engine, db.version, args.registry),
    env: engine.env(ctx),
    cmd: engine.cmd(ctx),
    labels: {
      'dbaas.database': db.id,
      'dbaas.tenant': db.tenantId,
      'dbaas.engine': db.engine,
      'dbaas.plan': plan.name,
    },
    containerPort: engine.containerPort,
    // HA databases listen on their VIP only: a container that starts where the VIP is not cannot serve.
    hostIp: db.vip ?? host.address,
    hostPort: db.port,
    binds: [{ hostPath, containerPath: engine.dataDir }],
    cpus: plan.cpus,
    memoryMb: plan.memoryMb,
    // Plans read from the database always carry these; a partial plan object yields the spec without limits.
    ...(plan.ioWeight !== undefined ? { io: ioLimits(plan, args.ioDevice ?? null) } : {}),
    ...(plan.egressMbit !== undefined ? { egressMbit: plan.egressMbit } : {}),
    // HA: never restarted by the engine when a fenced host boots again; the control plane decides where it runs.
    ...(db.vip ? { restartPolicy: 'no' as const } : {}),
  };
}

/** The plan's disk limits; the device only matters (and is only kept, so the spec stays stable) with a cap. */
export function ioLimits(plan: PlanEntity, device: string | null): ContainerIoLimits {
  const readMbps = plan.ioReadMbps ?? null;
  const writeMbps = plan.ioWriteMbps ?? null;
  return { weight: plan.ioWeight, readMbps, writeMbps, device: readMbps || writeMbps ? device : null };
}

/** Whether the plan caps disk throughput (then the volume's block device is looked up). */
export function hasDiskCaps(plan: PlanEntity): boolean {
  return !!(plan.ioReadMbps || plan.ioWriteMbps);
}
