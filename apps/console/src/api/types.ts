// Response shapes of the admin API, mirroring docs/console-api.md (and the domain views it points to).

export type HostStatus = 'active' | 'draining' | 'down' | 'fenced';
export type DatabaseStatus = 'provisioning' | 'running' | 'failing-over' | 'stopped' | 'error' | 'deleting' | 'deleted';
export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type FailoverStatus = 'running' | 'succeeded' | 'failed';
export type HaMode = 'none' | 'drbd' | 'san';

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

export interface Used {
  used: number;
  allocatable: number;
}

export interface CapacityRow {
  hostId: string;
  name: string;
  status: HostStatus;
  checks: HostChecks;
  databases: number;
  cpus: Used;
  memoryMb: Used;
  diskGb: Used;
}

export interface Overview {
  generatedAt: string;
  hosts: { total: number; byStatus: Record<HostStatus, number> };
  databases: { total: number; byStatus: Record<string, number> };
  failovers24h: { total: number; byStatus: Record<string, number> };
  operations: { queued: number; running: number; failed24h: number };
  capacity: CapacityRow[];
  alarm: FleetAlarm;
}

/** The failover worker's brake: automatic fencing stopped until operators decide host by host. */
export interface FleetAlarm {
  raised: boolean;
  message: string | null;
  since: string | null;
  /** Hosts not reached and not condemned (grace, brake, witnesses disagreeing), with why. */
  hosts: { id: string; name: string; reason: string }[];
}

export interface HostHealth {
  checkedAt: string;
  ssh: boolean;
  /** null: not known (never checked, or SSH does not answer now). */
  docker: boolean | null;
  failures: number;
  detail?: string;
  /** The failover worker's reading of the host. */
  verdict?: 'up' | 'suspect' | 'unreachable' | 'down';
  /** What each witness saw of it when the control plane could not reach it. */
  witnesses?: Record<string, 'alive' | 'dead' | 'no answer'>;
  /** Per database id: whether its container answered. */
  databases?: Record<string, boolean>;
}

/** One health check as shown to operators: `unknown` when nothing was learnt (never checked, never reached). */
export type CheckState = 'ok' | 'failed' | 'unknown';

export interface HostChecks {
  ssh: CheckState;
  docker: CheckState;
}

export interface HostCapacity {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/** A fence agent of the control plane's allow-list, its secret parameters shown as "***"; or `poweroff -f` over SSH. */
export type FencingConfig =
  | { driver: 'agent'; agent: string; params: Record<string, string>; timeoutSec: number; sshPoweroff: boolean }
  | { driver: 'ssh' };

/** HostEntity minus its SSH key. */
interface HostBase {
  id: string;
  name: string;
  address: string;
  connection: 'local' | 'ssh';
  sshAddress: string | null;
  sshPort: number;
  sshUser: string;
  /** The SSH server's pinned key (OpenSSH SHA256 fingerprint); null until given or first seen. */
  hostKeyFingerprint: string | null;
  /** 'first-contact': recorded on the first connection, for the operator to confirm. */
  hostKeyPinnedBy: 'operator' | 'first-contact' | null;
  labels: Record<string, string>;
  capacity: HostCapacity;
  storageDriver: string;
  dataRoot: string;
  storageBackendId: string | null;
  iscsiInitiator: string | null;
  replicationAddress: string | null;
  vipInterface: string | null;
  fencing: FencingConfig | null;
  health: HostHealth | null;
  /** SSH and Docker as last checked (derived from `health`); the console shows these, not `health`'s flags. */
  checks: HostChecks;
  status: HostStatus;
  statusReason: string | null;
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
  hasSshKey: boolean;
  databases: number;
}

export interface HostListItem extends HostBase {
  luns: number;
}

export interface PlacedDatabase {
  id: string;
  name: string;
  tenantId: string;
  tenantName: string | null;
  engine: string;
  status: DatabaseStatus;
  ha: HaMode;
}

export interface HostLun {
  id: string;
  name: string;
  iqn: string;
  sizeGb: number;
  hostVg: string;
  backendId: string;
  status?: string;
  databaseId?: string | null;
}

/**
 * docs/console-api.md names the attached LUNs `luns`, but the list's `luns` is a count; the API as built keeps
 * `luns` a count and sends the list as `attachedLuns`. Both are accepted (see attachedLuns()).
 */
export interface HostDetail extends HostBase {
  placed: PlacedDatabase[];
  luns: number | HostLun[];
  attachedLuns?: HostLun[];
  usage: HostCapacity;
}

export interface DatabaseView {
  id: string;
  name: string;
  engine: string;
  version: string;
  plan: string;
  ha: HaMode;
  status: DatabaseStatus;
  endpoint: { host: string; port: number } | null;
  volume: { driver: string; sizeGb: number; usedBytes: number | null } | null;
  createdAt: string;
  primaryHost?: string | null;
  tenantId: string;
  tenantName: string | null;
  hostId: string | null;
  hostName: string | null;
  /** The source networks allowed to connect (canonical CIDRs); empty: anyone. */
  allowedCidrs: string[];
  /** `required`: clear text refused; `preferred`: TLS offered beside clear text. */
  tls: TlsMode;
}

export type TlsMode = 'required' | 'preferred';

export interface AllowListAccepted {
  operationId: string;
  allowedCidrs: string[];
}

export interface VolumeView {
  id: string;
  hostId: string;
  hostName: string | null;
  driver: string;
  /** `incoming`: a move's copy on the target host, not cut over yet. */
  role: 'primary' | 'replica' | 'incoming';
  sizeGb: number;
  usedBytes: number | null;
  path: string | null;
  lunId: string | null;
  /** DRBD: synced, syncing or degraded. */
  mirrorState?: string | null;
}

export interface TransferProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface OperationView {
  id: string;
  type: string;
  status: OperationStatus;
  databaseId: string | null;
  progress: number;
  progressMessage: string | null;
  transfer: TransferProgress | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Only on the admin operations list. */
  retryable?: boolean;
}

export interface DatabaseEvent {
  type: string;
  message: string;
  createdAt: string;
}

export interface DatabaseDetail extends DatabaseView {
  volumes: VolumeView[];
  operations: OperationView[];
  events: DatabaseEvent[];
}

export interface Logs {
  lines: string[];
}

export interface FailoverView {
  id: string;
  databaseId: string;
  ha: string;
  reason: string;
  status: FailoverStatus;
  fromHost: { id: string; name: string } | null;
  toHost: { id: string; name: string } | null;
  actor: string | null;
  error: string | null;
  operationId: string | null;
  timeline: {
    detectedAt: string;
    fencedAt: string | null;
    storageMovedAt: string | null;
    startedAt: string | null;
    reachableAt: string | null;
  };
  /** Milliseconds from detection to each step. */
  durationsMs: { fenced: number | null; storageMoved: number | null; started: number | null; reachable: number | null };
  createdAt: string;
}

export interface StorageLun {
  id: string;
  name: string;
  iqn: string;
  sizeGb: number;
  status?: string;
  hostId: string | null;
  hostName: string | null;
  databaseId: string | null;
}

export interface StorageBackend {
  id: string;
  name: string;
  portalAddress: string;
  volumeGroup: string;
  thinPool: string | null;
  vg: { sizeBytes: number; freeBytes: number; lvCount: number } | null;
  /** Thin backends: the pool's size and how much of it is written. */
  pool?: { sizeBytes: number; usedBytes: number } | null;
  error: string | null;
  luns: StorageLun[];
}

export interface HostDataRoot {
  hostId: string;
  name: string;
  driver: string;
  dataRoot: string;
  sizeBytes: number | null;
  freeBytes: number | null;
  error: string | null;
}

export interface Storage {
  backends: StorageBackend[];
  hosts: HostDataRoot[];
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface IssuedApiKey extends ApiKey {
  /** In clear this once: only its hash is kept. */
  key: string;
}

export interface AuditEntry {
  id: string;
  actor: string;
  method: string;
  path: string;
  action: string;
  target: string | null;
  statusCode: number;
  outcome: 'ok' | 'error';
  /** The request body, secrets redacted. */
  detail?: Record<string, unknown>;
  createdAt: string;
}

export interface Accepted {
  operationId: string;
}

// Host actions answer what they did (failover.usecases.ts).
export interface MoveAwayResult {
  host: string;
  status: HostStatus;
  failovers: string[];
  moves: Array<{ id: string; name: string; operationId: string }>;
  notMoved: Array<{ id: string; name: string; reason: string }>;
}

export interface FenceResult {
  host: string;
  status: HostStatus;
  fencing?: { fenced: boolean; method: string; detail: string; confirmedBy?: string };
  failovers: string[];
}

export interface ActivateResult {
  host: string;
  status: HostStatus;
  removedContainers: string[];
  rejoinedMirrors: string[];
}

export type HostAction = 'drain' | 'evacuate' | 'fence' | 'activate';

export const attachedLuns = (h: HostDetail): HostLun[] => h.attachedLuns ?? (Array.isArray(h.luns) ? h.luns : []);

/** GET /admin/v1/placement/settings */
export interface PlacementSettings {
  overcommit: { cpus: number; memoryMb: number; diskGb: number };
  hotspot: { cpu: number; memory: number };
  updatedBy: string | null;
  updatedAt: string;
}

/** GET /admin/v1/placement/n-plus-one: one host's loss, simulated. */
export interface HostLoss {
  hostId: string;
  name: string;
  databases: number;
  fits: boolean;
  placements: { databaseId: string; database: string; to: string | null; toName: string | null; reason?: string }[];
}

/** GET /admin/v1/placement/rebalance */
export interface RebalanceProposal {
  thresholds: { cpu: number; memory: number };
  hosts: { hostId: string; name: string; cpu: number; memory: number; hotspot: boolean }[];
  moves: {
    databaseId: string;
    database: string;
    from: string;
    fromName: string;
    to: string;
    toName: string;
    reason: string;
  }[];
  unresolved: { hostId: string; name: string; reason: string }[];
  measuredSince: string | null;
}

export interface RebalanceResult {
  started: { databaseId: string; operationId: string }[];
  refused: { databaseId: string; reason: string }[];
}
