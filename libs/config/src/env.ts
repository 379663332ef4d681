import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

// Reads the raw string: implicit conversion would already have turned 'false' into true.
const toBool = ({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
  obj[key] === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(String(obj[key]).toLowerCase());

/** Settings shared by the API and the worker. Every app validates its own at boot and fails fast. */
export class CommonEnv {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  // 32 random bytes, base64 or hex: encrypts secrets (database passwords, SSH keys) at rest.
  @Matches(/^([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/, {
    message: 'MASTER_KEY must be 32 bytes, base64 (44 chars) or hex (64 chars): `openssl rand -base64 32`',
  })
  MASTER_KEY!: string;

  // Bull key prefix: lets several stacks (or test runs) share one Redis.
  @IsString()
  @Matches(/^[a-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'dbaas';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: string = 'log';

  @IsString()
  DOCKER_SOCKET: string = '/var/run/docker.sock';

  // A private registry or pull-through mirror in front of Docker Hub (air-gapped platforms).
  @IsOptional()
  @Matches(/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/, { message: 'IMAGE_REGISTRY must be host[:port][/path]' })
  IMAGE_REGISTRY?: string;

  @IsOptional()
  @IsString()
  IMAGE_REGISTRY_USERNAME?: string;

  @IsOptional()
  @IsString()
  IMAGE_REGISTRY_PASSWORD?: string;

  // Where the embedded local host keeps directory volumes.
  @Matches(/^\/[A-Za-z0-9._/-]+$/, { message: 'DATA_ROOT must be an absolute path' })
  DATA_ROOT: string = '/var/lib/dbaas/volumes';

  @Matches(/^\d{4,5}-\d{4,5}$/, { message: 'PORT_RANGE must look like 20000-29999' })
  PORT_RANGE: string = '20000-29999';

  // Retry policy of every job. Bull stores it on the job, so the API (which enqueues) reads it too.
  @IsInt()
  @Min(1)
  @Max(50)
  JOB_ATTEMPTS: number = 5;

  @IsInt()
  @Min(100)
  JOB_BACKOFF_MS: number = 2000;

  // Floating addresses for HA databases, on the network tenants reach: `first-last/prefix`. Without it, HA is off.
  @IsOptional()
  @Matches(/^(\d{1,3}\.){3}\d{1,3}-(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, {
    message: 'HA_VIP_RANGE must look like 10.0.0.100-10.0.0.199/24',
  })
  HA_VIP_RANGE?: string;

  // Where backup archives go, in order of preference (comma-separated): a directory of the control plane's machine
  // (`local:/path`), one on a registered SAN storage server (`backend:<name>:/path`, e.g. an NFS export there) or on
  // another registered host (`host:<name>:/path`), both reached over their SSH access. Each backup goes to the first
  // target outside its database's failure domain (its host, rack or hypervisor; its SAN backend).
  @Matches(
    /^(local:|(backend|host):[a-z0-9][a-z0-9-]{0,39}:)\/[A-Za-z0-9._/-]+(,(local:|(backend|host):[a-z0-9][a-z0-9-]{0,39}:)\/[A-Za-z0-9._/-]+)*$/,
    {
      message:
        'BACKUP_TARGET must be a comma-separated list of local:/var/lib/dbaas/backups, backend:<storage-backend>:/srv/backups or host:<host>:/srv/backups',
    },
  )
  BACKUP_TARGET: string = 'local:/var/lib/dbaas/backups';

  // The fence agents allowed (the API checks registrations against it, the worker runs them): executable files of
  // this directory, named by hosts' `fencing.agent`. Keep it root-owned. A missing directory means no agent.
  @Matches(/^\/[A-Za-z0-9._/-]*$/, { message: 'FENCE_AGENTS_DIR must be an absolute path' })
  FENCE_AGENTS_DIR: string = '/etc/dbaas/fence-agents';

  // TLS: how long a database's server certificate is valid, and how long before its expiry the worker renews it (at
  // most half its lifetime: a shorter validity is never renewed on every round).
  @IsInt()
  @Min(60000)
  TLS_CERT_VALIDITY_MS: number = 90 * 86400000;

  @IsInt()
  @Min(1000)
  TLS_RENEW_BEFORE_MS: number = 30 * 86400000;
}

export class ApiEnv extends CommonEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  API_PORT: number = 8080;

  @IsString()
  API_HOST: string = '127.0.0.1';

  // Optional: an operator key accepted from boot on (stored hashed), for the first admin calls.
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'OPERATOR_BOOTSTRAP_KEY must be at least 24 characters' })
  OPERATOR_BOOTSTRAP_KEY?: string;

  // Register the machine's own Docker engine as a host with directory volumes (embedded default).
  @Transform(toBool)
  LOCAL_HOST: boolean = true;

  @IsString()
  LOCAL_HOST_ADDRESS: string = '127.0.0.1';

  // Rate limits, counted in Redis (shared by every replica) over a fixed window: requests per API key, and
  // requests per caller address for those without a valid key (no key, a wrong key: the guessing flood).
  @IsInt()
  @Min(1000)
  RATE_LIMIT_WINDOW_MS: number = 60_000;

  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_KEY: number = 1200;

  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_ADDRESS: number = 120;
}

export class WorkerEnv extends CommonEnv {
  @IsInt()
  @Min(1)
  @Max(200)
  WORKER_CONCURRENCY: number = 20;

  // Bull's job lock: a worker that dies loses its jobs to another one after this long.
  @IsInt()
  @Min(2000)
  JOB_LOCK_MS: number = 15000;

  // How many times such a job is taken back before Bull fails it for good (its operation then ends failed).
  @IsInt()
  @Min(0)
  @Max(100)
  JOB_MAX_STALLED_COUNT: number = 3;

  // The reconciler: how often it compares unfinished operations with their jobs, and how old an operation with
  // no job must be before its job is enqueued again (younger ones may be between their insert and enqueue).
  @IsInt()
  @Min(200)
  RECONCILE_INTERVAL_MS: number = 30000;

  @IsInt()
  @Min(1000)
  RECONCILE_STALE_AFTER_MS: number = 60000;

  @IsInt()
  @Min(1000)
  READY_TIMEOUT_MS: number = 180000;

  // How often volumes are measured (du on directory volumes: cheap, but not free on large trees). Directory volumes
  // on a data root without project quotas are held to their plan from this measurement (read-only at 100 %): a
  // tenant can write past it for at most this long.
  @IsInt()
  @Min(1000)
  VOLUME_USAGE_INTERVAL_MS: number = 60000;

  // A tenant's network stays on a host after its last database there (the next one starts without making it), and
  // goes once no container has used it for TENANT_NETWORK_IDLE_MS, as the sweeps (this often) see it.
  @IsInt()
  @Min(1000)
  TENANT_NETWORK_SWEEP_INTERVAL_MS: number = 300000;

  @IsInt()
  @Min(0)
  TENANT_NETWORK_IDLE_MS: number = 900000;

  // How often each HA database's standby is checked and made where missing (see StandbyService): on the host a
  // takeover would go to, what the start needs besides the volume. 0: no standby (every takeover makes it all).
  @IsInt()
  @Min(0)
  STANDBY_INTERVAL_MS: number = 60000;

  // How often the worker's leader looks whether where standbys go changed (a host let back in, a database moved):
  // a change makes a round at once, so that the next power cut finds the standby (one query of each table).
  @IsInt()
  @Min(100)
  STANDBY_CHECK_MS: number = 5000;

  // How often the database containers' resource use is read (docker stats: one call per container).
  @IsInt()
  @Min(1000)
  CONTAINER_SAMPLE_INTERVAL_MS: number = 15000;

  // The failover worker: probes every host this often, and declares it dead after this many failures in a row.
  @Transform(toBool)
  FAILOVER_ENABLED: boolean = true;

  @IsInt()
  @Min(200)
  FAILOVER_PROBE_INTERVAL_MS: number = 1000;

  // A host whose last probe failed (a suspect) is probed again this often, its probes overlapping, so that a dead
  // host is condemned about one probe timeout after its first failure rather than FAILOVER_FAILURES timeouts.
  @IsInt()
  @Min(50)
  FAILOVER_SUSPECT_INTERVAL_MS: number = 250;

  // A TCP connection to the host's SSH port must be up this fast: a live kernel answers a SYN within a
  // millisecond on a LAN (DRBD's own ping-timeout is 0.5 s too)...
  @IsInt()
  @Min(100)
  FAILOVER_PROBE_TIMEOUT_MS: number = 500;

  // ...and sshd's banner must follow within this (userland, slower on a loaded host).
  @IsInt()
  @Min(100)
  FAILOVER_BANNER_TIMEOUT_MS: number = 10000;

  @IsInt()
  @Min(1)
  @Max(20)
  FAILOVER_FAILURES: number = 3;

  // No host is fenced within this long after it was registered or activated, nor before it was once seen healthy
  // (a wrong port typed at registration). Kubernetes' node-startup grace period is 60 s too.
  @IsInt()
  @Min(0)
  FAILOVER_GRACE_MS: number = 60000;

  // The brake: when more than this share of the hosts is unreachable at once (or hosts in every failure domain),
  // nothing is fenced automatically; an alarm is raised and operators fence host by host. Kubernetes' default
  // unhealthy-zone threshold is 0.55.
  @IsNumber()
  @Min(0)
  @Max(1)
  FAILOVER_BRAKE_SHARE: number = 0.55;

  // At most this many hosts are declared down automatically per minute.
  @IsInt()
  @Min(1)
  @Max(100)
  FAILOVER_FENCES_PER_MINUTE: number = 3;

  // How long a witness (another host, the storage server) gets to look at a host the control plane cannot reach:
  // a TCP connection, like the control plane's own probe (a live kernel answers at once). The witness's answer then
  // has to come back over its session: a vote takes this plus a round trip.
  @IsInt()
  @Min(200)
  FAILOVER_WITNESS_TIMEOUT_MS: number = 500;

  // Scheduled backups: how often the scheduler looks (leader only), and how old a database's last scheduled
  // backup may get before the next one is taken. Retention is per plan.
  @Transform(toBool)
  BACKUPS_ENABLED: boolean = true;

  @IsInt()
  @Min(500)
  BACKUP_SCHEDULER_INTERVAL_MS: number = 60000;

  @IsInt()
  @Min(1000)
  BACKUP_EVERY_MS: number = 86400000;

  // How often the worker (leader only) looks for server certificates to renew or to hand to their engine again.
  @IsInt()
  @Min(500)
  TLS_RENEW_INTERVAL_MS: number = 600000;
}

export class EnvValidationError extends Error {}

/** Parses and validates process.env into a typed object, or throws one readable error listing every problem. */
export function loadEnv<T extends object>(cls: new () => T, source: NodeJS.ProcessEnv = process.env): T {
  const env = plainToInstance(cls, source, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(env as object, { whitelist: false });
  if (errors.length > 0) {
    const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  - ${e.property}: ${m}`));
    throw new EnvValidationError(`Invalid environment for ${cls.name}:\n${lines.join('\n')}`);
  }
  return env;
}

export function portRange(env: CommonEnv): { from: number; to: number } {
  const [from, to] = env.PORT_RANGE.split('-').map(Number);
  if (from >= to) throw new EnvValidationError('PORT_RANGE: the first port must be below the second');
  return { from, to };
}

export interface VipRange {
  first: number;
  last: number;
  prefixLen: number;
}

const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The HA VIP pool, or null when HA is not configured. */
export function vipRange(env: CommonEnv): VipRange | null {
  if (!env.HA_VIP_RANGE) return null;
  const [range, len] = env.HA_VIP_RANGE.split('/');
  const [a, b] = range.split('-');
  for (const ip of [a, b])
    if (ip.split('.').some((o) => Number(o) > 255))
      throw new EnvValidationError(`HA_VIP_RANGE: ${ip} is not an IPv4 address`);
  const r = { first: ipToInt(a), last: ipToInt(b), prefixLen: Number(len) };
  if (r.first > r.last || r.prefixLen < 8 || r.prefixLen > 32)
    throw new EnvValidationError('HA_VIP_RANGE: the first address must not be above the last, prefix 8..32');
  return r;
}
