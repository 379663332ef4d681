import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { EngineContext, ENGINES, imageRef } from '../../engines';
import type { ContainerSpec } from '../../ports';

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
    // HA: never restarted by the engine when a fenced host boots again; the control plane decides where it runs.
    ...(db.vip ? { restartPolicy: 'no' as const } : {}),
  };
}
