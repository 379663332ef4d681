import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { EngineContext, EngineSandbox, ENGINES, imageRef, SECRETS_MOUNT, ServerTlsPem, tlsFiles } from '../../engines';
import type { ContainerIoLimits, ContainerSpec } from '../../ports';
import type { HostPreparation } from './host-preparation';

/** One container per database, named after its id: a retried job finds the container it made before. */
export function containerName(databaseId: string): string {
  return `dbaas-${databaseId}`;
}

/** The label a tenant's containers and networks carry (its id). */
export const TENANT_LABEL = 'dbaas.tenant';

/** Each tenant's containers on a host share a network of their own (no traffic between them, none to others'). */
export function tenantNetwork(tenantId: string): string {
  if (!UUID.test(tenantId)) throw new Error('tenant id is not a uuid');
  return `dbaas-t-${tenantId}`;
}

// Processes in one container: the engine's backends and workers, far below; a fork bomb stops here.
export const PIDS_LIMIT = 1024;
const ULIMITS = [
  // Per process (PostgreSQL: 1000 per backend; Redis' 10000 clients fit). Not above what dockerd's hosts commonly
  // have: where runc may not raise a hard limit (no CAP_SYS_RESOURCE, e.g. nested), a higher one fails the start.
  { name: 'nofile', soft: 16384, hard: 16384 },
  // No core dumps: they would hold the data and passwords in memory, written where the host's core_pattern says.
  { name: 'core', soft: 0, hard: 0 },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SAFE_ROOT = /^\/[A-Za-z0-9._/-]+$/;

/**
 * Where a database's password files live on its host: `<dataRoot>/secrets/<database id>`, beside the volumes and
 * never inside one (a copy, a backup or a move of the data never carries them).
 */
export function secretsDir(host: HostEntity, databaseId: string): string {
  return `${secretsRoot(host)}/${uuid(databaseId, 'database id')}`;
}

export function secretsRoot(host: HostEntity): string {
  if (!SAFE_ROOT.test(host.dataRoot ?? '') || host.dataRoot.split('/').includes('..'))
    throw new Error('unsafe data root');
  return `${host.dataRoot.replace(/\/+$/, '')}/secrets`;
}

function uuid(id: string, what: string): string {
  if (!UUID.test(id)) throw new Error(`${what} is not a uuid`);
  return id;
}

/** `POSTGRES_PASSWORD` → the file `postgres_password`. */
const secretFileName = (variable: string) => variable.toLowerCase();

function tmpfsOptions(s: EngineSandbox): Record<string, string> {
  return Object.fromEntries(
    s.tmpfs.map((t) => [t.path, `rw,nosuid,nodev,noexec,size=${t.sizeMb}m,mode=${t.mode},uid=${s.uid},gid=${s.gid}`]),
  );
}

/**
 * The files the container reads from its secrets directory, by file name: the passwords its entrypoint reads at its
 * first start and, when the database has a TLS mode, its server certificate, key and the CA (`tls` must then be
 * given: the engine would not start without them).
 */
export function containerFiles(args: {
  db: DatabaseEntity;
  ctx: EngineContext;
  tls?: ServerTlsPem;
}): [string, string][] {
  const engine = ENGINES[args.db.engine];
  const passwords = [
    ...Object.entries(engine.secrets(args.ctx)).map(([k, v]): [string, string] => [secretFileName(k), v]),
    ...(engine.initFiles?.(args.ctx) ?? []).map((f): [string, string] => [f.name, f.content]),
  ];
  if (!args.ctx.tls) return passwords;
  if (!args.tls) throw new Error('the database has a TLS mode but no certificate');
  return [...passwords, ...Object.entries(tlsFiles(engine, args.ctx.tls, args.tls))];
}

/**
 * What the host must hold before the database's container starts: the volume owned by the engine's user (it starts
 * as that user and cannot chown), and the engine's password and TLS files (null: the engine takes none).
 */
export function hostPreparation(args: {
  db: DatabaseEntity;
  host: HostEntity;
  hostPath: string;
  ctx: EngineContext;
  tls?: ServerTlsPem;
}): HostPreparation {
  const engine = ENGINES[args.db.engine];
  const { uid, gid } = engine.sandbox;
  const secrets = containerFiles(args);
  return {
    volume: { path: args.hostPath, uid, gid },
    secrets: secrets.length
      ? {
          root: secretsRoot(args.host),
          dir: secretsDir(args.host, args.db.id),
          uid,
          gid,
          files: Object.fromEntries(secrets),
        }
      : null,
  };
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
  tls?: ServerTlsPem;
}): ContainerSpec {
  const { db, host, plan, hostPath, ctx } = args;
  const engine = ENGINES[db.engine];
  if (!db.port) throw new Error('database has no port allocated');
  const secrets = Object.keys(engine.secrets(ctx));
  const mountsFiles = containerFiles({ db, ctx, tls: args.tls }).length > 0;
  const sandbox = engine.sandbox;
  return {
    name: containerName(db.id),
    image: imageRef(engine, db.version, args.registry),
    env: {
      ...engine.env(ctx),
      ...Object.fromEntries(secrets.map((k) => [`${k}_FILE`, `${SECRETS_MOUNT}/${secretFileName(k)}`])),
    },
    cmd: engine.cmd(ctx),
    labels: {
      'dbaas.database': db.id,
      [TENANT_LABEL]: db.tenantId,
      'dbaas.engine': db.engine,
      'dbaas.plan': plan.name,
      // Whether the running server was given TLS files (a container made before TLS was not): a renewal reloads it.
      ...(ctx.tls ? { 'dbaas.tls': ctx.tls } : {}),
    },
    containerPort: engine.containerPort,
    // HA databases listen on their VIP only: a container that starts where the VIP is not cannot serve.
    hostIp: db.vip ?? host.address,
    hostPort: db.port,
    binds: [
      { hostPath, containerPath: engine.dataDir },
      ...(mountsFiles ? [{ hostPath: secretsDir(host, db.id), containerPath: SECRETS_MOUNT, readOnly: true }] : []),
      ...(engine.initFiles?.(ctx) ?? []).map((f) => ({
        hostPath: `${secretsDir(host, db.id)}/${f.name}`,
        containerPath: f.containerPath,
        readOnly: true,
      })),
    ],
    cpus: plan.cpus,
    memoryMb: plan.memoryMb,
    user: `${sandbox.uid}:${sandbox.gid}`,
    capAdd: sandbox.capAdd,
    readOnlyRoot: sandbox.readOnlyRoot,
    tmpfs: tmpfsOptions(sandbox),
    pidsLimit: PIDS_LIMIT,
    ulimits: ULIMITS,
    network: tenantNetwork(db.tenantId),
    // Plans read from the database always carry these; a partial plan object yields the spec without limits.
    ...(plan.ioWeight !== undefined ? { io: ioLimits(plan, args.ioDevice ?? null) } : {}),
    ...(plan.egressMbit !== undefined ? { egressMbit: plan.egressMbit } : {}),
    ...(plan.allowEgress !== undefined ? { allowEgress: plan.allowEgress } : {}),
    // HA: never restarted by the engine when a fenced host boots again; the control plane decides where it runs.
    ...(db.vip ? { restartPolicy: 'no' as const } : {}),
    // HA: the network is held ahead where a takeover would start it (see ContainerSpec.netHolder).
    ...(db.vip ? { netHolder: true } : {}),
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
