import type {
  ApiKeyEntity,
  AuditEntryEntity,
  ApiKeyKind,
  BackupEntity,
  BackupKind,
  BackupStatus,
  CertificateAuthorityEntity,
  DatabaseEntity,
  DatabaseOrigin,
  DatabaseSampleEntity,
  TransferProgress,
  DatabaseStatus,
  EventEntity,
  FailoverEntity,
  FailoverReason,
  FailoverStatus,
  HostEntity,
  HostStatus,
  LunEntity,
  OperationEntity,
  OperationStatus,
  OperationType,
  PlacementSettingsEntity,
  PlanEntity,
  QuotaState,
  StorageBackendEntity,
  TenantEntity,
  VolumeEntity,
} from '@app/persistence/entities';

// Repositories are interfaces here and bound once in the persistence module.
export const TENANT_REPOSITORY = Symbol('TENANT_REPOSITORY');
export interface TenantRepository {
  create(name: string): Promise<TenantEntity>;
  list(): Promise<TenantEntity[]>;
  get(id: string): Promise<TenantEntity | null>;
  findByName(name: string): Promise<TenantEntity | null>;
  /** The tenant's backup data key, sealed; null until its first backup. */
  getSealedBackupKey(id: string): Promise<string | null>;
  /** Stores the sealed key unless the tenant has one already (read it back after). */
  setSealedBackupKeyIfNone(id: string, sealed: string): Promise<void>;
}

export const API_KEY_REPOSITORY = Symbol('API_KEY_REPOSITORY');
export interface ApiKeyRepository {
  create(key: {
    kind: ApiKeyKind;
    tenantId: string | null;
    name: string;
    prefix: string;
    keyHash: string;
  }): Promise<ApiKeyEntity>;
  findActiveByHash(hash: string): Promise<ApiKeyEntity | null>;
  listForTenant(tenantId: string): Promise<ApiKeyEntity[]>;
  listOperators(): Promise<ApiKeyEntity[]>;
  /** Revokes a tenant's key, or an operator key (`tenantId` null); false if no such active key. */
  revoke(id: string, tenantId: string | null): Promise<boolean>;
  ensureOperatorKey(name: string, prefix: string, keyHash: string): Promise<void>;
}

export const PLAN_REPOSITORY = Symbol('PLAN_REPOSITORY');
export interface PlanRepository {
  list(): Promise<PlanEntity[]>;
  findByName(name: string): Promise<PlanEntity | null>;
  get(id: string): Promise<PlanEntity | null>;
}

export interface HostUsage {
  hostId: string;
  databases: number;
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

/** Room promised on a host to a database on its way there (a move or a failover in flight). */
export interface HostReservation {
  hostId: string;
  databaseId: string;
  planId: string;
}

export const HOST_REPOSITORY = Symbol('HOST_REPOSITORY');
export interface HostRepository {
  create(host: Omit<HostEntity, 'id' | 'createdAt' | 'updatedAt' | 'lastSeenAt' | 'activeSince'>): Promise<HostEntity>;
  list(): Promise<HostEntity[]>;
  get(id: string): Promise<HostEntity | null>;
  findByName(name: string): Promise<HostEntity | null>;
  /** The sealed SSH private key, for connectors only. */
  getSealedKey(id: string): Promise<string | null>;
  /** Ids of the hosts that have an SSH key registered (without reading the keys). */
  idsWithKey(): Promise<Set<string>>;
  update(id: string, patch: Partial<HostEntity>): Promise<void>;
  /**
   * Pins the SSH host key. `firstContact`: only if none is pinned yet (trust on first use; two workers racing
   * both see one winner), else it replaces the pin (the operator's word). True when written.
   */
  pinHostKey(id: string, fingerprint: string, firstContact: boolean): Promise<boolean>;
  /** Moves the host to `to` only if its status is one of `from` (so two workers never both act on it). */
  transition(id: string, from: HostStatus[], to: HostStatus, reason: string | null): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** What is promised on each host: its live databases, and those on their way there (see `reservations`). */
  usage(): Promise<HostUsage[]>;
  /** Databases on their way to a host: the target of a move or a failover that has not finished. */
  reservations(): Promise<HostReservation[]>;
}

export interface NewDatabase {
  tenantId: string;
  name: string;
  engine: DatabaseEntity['engine'];
  version: string;
  planId: string;
  ha: DatabaseEntity['ha'];
  hostId: string;
  username: string;
  dbName: string;
  password: string; // sealed
  adminPassword: string | null; // sealed
  /** `legacy` for a copy whose data may come from before the owner model (converted by its create job). */
  privilegeModel?: DatabaseEntity['privilegeModel'];
  driver: string;
  sizeGb: number;
  portRange: { from: number; to: number };
  /** HA: a free VIP is taken from this pool (integers of IPv4 addresses). */
  vipPool?: { first: number; last: number } | null;
  /** DRBD: the peer host holding the mirror; a free minor is allocated. */
  peerHostId?: string | null;
  /** A clone or a restore: where the first data comes from. */
  origin?: DatabaseOrigin | null;
  operationType?: OperationType;
  /** Canonical CIDRs allowed to connect (absent or empty: anyone). */
  allowedCidrs?: string[];
  /** Absent: the column's default (`required`). */
  tls?: DatabaseEntity['tls'];
}

export const DATABASE_REPOSITORY = Symbol('DATABASE_REPOSITORY');
export interface DatabaseRepository {
  /** Inserts the database, its volume and its create operation in one transaction, with a free port on the host. */
  createWithOperation(input: NewDatabase): Promise<{ database: DatabaseEntity; operation: OperationEntity }>;
  /**
   * Starts an operation on a database in one transaction: fails with `busy` if another one is in flight
   * (unless `supersede`), optionally moves the database to a new status.
   */
  startOperation(
    databaseId: string,
    type: OperationType,
    opts: {
      status?: DatabaseStatus;
      params?: Record<string, unknown>;
      supersede?: boolean;
      allowedFrom?: DatabaseStatus[];
      /** Written to the database's row in the same transaction, only when the operation is started. */
      patch?: Pick<Partial<DatabaseEntity>, 'allowedCidrs'>;
    },
  ): Promise<{ operation: OperationEntity } | { busy: OperationEntity } | { badState: DatabaseStatus }>;
  get(id: string): Promise<DatabaseEntity | null>;
  getForTenant(id: string, tenantId: string): Promise<DatabaseEntity | null>;
  getSecrets(id: string): Promise<{ password: string | null; adminPassword: string | null; tlsKey: string | null }>;
  list(filter: { tenantId?: string; hostId?: string; status?: string; engine?: string }): Promise<DatabaseEntity[]>;
  update(id: string, patch: Partial<DatabaseEntity>): Promise<void>;
  /** Moves the database to another host with a free port there (a move's cut-over); returns the port. */
  moveTo(databaseId: string, hostId: string, portRange: { from: number; to: number }): Promise<number>;
  /** Gives it another free port on its host, none of `avoid` (ports another program holds there). */
  repickPort(databaseId: string, portRange: { from: number; to: number }, avoid: number[]): Promise<number>;
  /** Marks it deleted, drops its secrets and frees its name and port. */
  markDeleted(id: string): Promise<void>;
}

export interface NewFailover {
  databaseId: string;
  reason: FailoverReason;
  fromHostId: string | null;
  toHostId: string | null;
  actor: string;
  detectedAt: Date;
  fencedAt?: Date | null;
  /** An operator accepts promoting a DRBD peer that may lack writes the old primary committed. */
  acceptDataLoss?: boolean;
}

export const FAILOVER_REPOSITORY = Symbol('FAILOVER_REPOSITORY');
export interface FailoverRepository {
  /**
   * In one transaction: the failover record, its operation (whatever else is in flight: a failover does not
   * wait behind work on a dead host), and the database moved to `failing-over`. A database with a failover
   * already running gets that one back.
   */
  start(f: NewFailover): Promise<{ failover: FailoverEntity; operation: OperationEntity; existing: boolean }>;
  get(id: string): Promise<FailoverEntity | null>;
  forOperation(operationId: string): Promise<FailoverEntity | null>;
  list(filter: {
    databaseId?: string;
    hostId?: string;
    status?: FailoverStatus;
    since?: Date;
    limit: number;
  }): Promise<FailoverEntity[]>;
  update(id: string, patch: Partial<FailoverEntity>): Promise<void>;
  /** Sets a timeline mark once (the first time wins: a retried step does not move it). */
  mark(id: string, field: 'fencedAt' | 'storageMovedAt' | 'startedAt' | 'reachableAt', at?: Date): Promise<void>;
  /** Adds an attempt's round trips to hosts to the failover's count. */
  addRoundTrips(id: string, n: number): Promise<void>;
}

export const VOLUME_REPOSITORY = Symbol('VOLUME_REPOSITORY');
export interface VolumeRepository {
  /** The database's volume (the newest that is not a move's incoming copy). */
  forDatabase(databaseId: string): Promise<VolumeEntity | null>;
  get(id: string): Promise<VolumeEntity | null>;
  /** A move's copy on the target host (`incoming` until the cut-over). */
  createIncoming(v: Pick<VolumeEntity, 'databaseId' | 'hostId' | 'driver' | 'sizeGb'>): Promise<VolumeEntity>;
  /** The cut-over of a move: the incoming copy becomes the database's volume and the old one is retired. */
  cutOver(oldId: string, newId: string): Promise<void>;
  forDatabases(databaseIds: string[]): Promise<VolumeEntity[]>;
  listLive(): Promise<VolumeEntity[]>;
  /** Live DRBD volumes whose mirror is on this host. */
  listMirroredOn(hostId: string): Promise<VolumeEntity[]>;
  /** Live volumes on a LUN other than `exceptVolumeId`: a LUN is released only when none is left. */
  countOnLun(lunId: string, exceptVolumeId: string): Promise<number>;
  /** DRBD: the peers' shared secret, sealed (a column never selected otherwise); null when it has none yet. */
  getSealedDrbdSecret(id: string): Promise<string | null>;
  /** Stores a sealed DRBD shared secret unless the volume has one already (the first writer wins). */
  setSealedDrbdSecretIfNone(id: string, sealed: string): Promise<void>;
  update(id: string, patch: Partial<VolumeEntity>): Promise<void>;
}

export const OPERATION_REPOSITORY = Symbol('OPERATION_REPOSITORY');
export interface OperationRepository {
  get(id: string): Promise<OperationEntity | null>;
  getForTenant(id: string, tenantId: string): Promise<OperationEntity | null>;
  list(filter: { status?: OperationStatus; databaseId?: string; limit: number }): Promise<OperationEntity[]>;
  markRunning(id: string, attempt: number): Promise<void>;
  /** `transfer`: a bulk copy's counters, written in the same update. */
  progress(id: string, progress: number, message: string, transfer?: TransferProgress): Promise<void>;
  setParams(id: string, params: Record<string, unknown>): Promise<void>;
  succeed(id: string): Promise<void>;
  fail(id: string, error: string): Promise<void>;
  /** Fails it only if still queued or running; false when something else ended it first (exactly one wins). */
  failUnfinished(id: string, error: string): Promise<boolean>;
  /** Operations still queued or running created longer ago than the given age (for the reconciler). */
  listUnfinished(olderThanMs: number): Promise<OperationEntity[]>;
  countByTypeAndStatus(): Promise<{ type: string; status: string; count: number }[]>;
}

export const EVENT_REPOSITORY = Symbol('EVENT_REPOSITORY');
export interface EventRepository {
  record(event: Partial<EventEntity> & { type: string; message: string }): Promise<void>;
  list(filter: { databaseId?: string; hostId?: string; type?: string; limit: number }): Promise<EventEntity[]>;
  countByType(type: string): Promise<number>;
}

export const STORAGE_BACKEND_REPOSITORY = Symbol('STORAGE_BACKEND_REPOSITORY');
export interface StorageBackendRepository {
  create(b: Omit<StorageBackendEntity, 'id' | 'createdAt' | 'updatedAt'>): Promise<StorageBackendEntity>;
  list(): Promise<StorageBackendEntity[]>;
  get(id: string): Promise<StorageBackendEntity | null>;
  findByName(name: string): Promise<StorageBackendEntity | null>;
  getSealedKey(id: string): Promise<string | null>;
  /**
   * Pins the SSH host key. `firstContact`: only if none is pinned yet (trust on first use; two workers racing
   * both see one winner), else it replaces the pin (the operator's word). True when written.
   */
  pinHostKey(id: string, fingerprint: string, firstContact: boolean): Promise<boolean>;
}

export const LUN_REPOSITORY = Symbol('LUN_REPOSITORY');
export interface LunRepository {
  create(
    l: Pick<
      LunEntity,
      'backendId' | 'hostId' | 'name' | 'iqn' | 'sizeGb' | 'chapUser' | 'chapPassword' | 'hostVg' | 'dedicated'
    >,
  ): Promise<LunEntity>;
  get(id: string): Promise<LunEntity | null>;
  getSealedChap(id: string): Promise<string | null>;
  listLive(filter: { hostId?: string; backendId?: string }): Promise<LunEntity[]>;
  update(id: string, patch: Partial<LunEntity>): Promise<void>;
  markDeleted(id: string): Promise<void>;
}

export interface NewBackup {
  tenantId: string;
  databaseId: string;
  databaseName: string;
  engine: BackupEntity['engine'];
  version: string;
  kind: BackupKind;
  method: string;
  target: string;
  path: string;
  credentials: string; // sealed
}

export const BACKUP_REPOSITORY = Symbol('BACKUP_REPOSITORY');
export interface BackupRepository {
  /**
   * In one transaction: the backup row (pending) and its operation on the database. Refused like any operation
   * while another is in flight.
   */
  start(
    b: Omit<NewBackup, 'path'>,
    pathFor: (backupId: string) => string,
  ): Promise<{ backup: BackupEntity; operation: OperationEntity } | { busy: OperationEntity }>;
  get(id: string): Promise<BackupEntity | null>;
  forOperation(operationId: string): Promise<BackupEntity | null>;
  getForTenant(id: string, tenantId: string): Promise<BackupEntity | null>;
  getSealedCredentials(id: string): Promise<string | null>;
  list(filter: {
    tenantId?: string;
    databaseId?: string;
    status?: BackupStatus;
    limit: number;
  }): Promise<BackupEntity[]>;
  /** Completed scheduled backups not deleted, for retention, newest first. */
  listScheduled(databaseId: string): Promise<BackupEntity[]>;
  /** When the last scheduled backup (of any status but failed) of each database was taken. */
  lastScheduled(): Promise<Map<string, Date>>;
  /** Databases that have live backups (deleted databases included). */
  databasesWithBackups(): Promise<string[]>;
  listExpired(now: Date): Promise<BackupEntity[]>;
  update(id: string, patch: Partial<BackupEntity>): Promise<void>;
  /** After the database's deletion: its backups expire at `at` (null: now). */
  expireForDatabase(databaseId: string, at: Date): Promise<void>;
  markDeleted(id: string): Promise<void>;
}

export const AUDIT_REPOSITORY = Symbol('AUDIT_REPOSITORY');
export interface AuditRepository {
  record(entry: Omit<AuditEntryEntity, 'id' | 'createdAt'>): Promise<void>;
  list(filter: { actor?: string; target?: string; limit: number }): Promise<AuditEntryEntity[]>;
}

/** Counts over the whole fleet, for the console (read side: aggregate SQL, no entities). */
export const FLEET_QUERIES = Symbol('FLEET_QUERIES');
export interface FleetQueries {
  /** Live databases (not deleted) per status. */
  databasesByStatus(): Promise<Record<string, number>>;
  failoversByStatusSince(since: Date): Promise<Record<string, number>>;
  operationCounts(failedSince: Date): Promise<{ queued: number; running: number; failedSince: number }>;
  /** Per host: live databases placed there and SAN LUNs attached to it. */
  hostInventory(): Promise<Map<string, { databases: number; luns: number }>>;
  /** For each database, the id of its newest operation (a failed operation is retried only if it is the last). */
  latestOperations(databaseIds: string[]): Promise<Map<string, string>>;
  tenantNames(ids: string[]): Promise<Map<string, string>>;
  /**
   * Durations (seconds) as cumulative histogram buckets, by label: operations (start → end) by type and
   * status; failovers (detected → reachable, or → the end of a failed one) by ha, reason and status.
   */
  durationBuckets(kind: 'operation' | 'failover', buckets: number[]): Promise<DurationSeries[]>;
  /** Every live database with its names, status and volume use, for per-database series. */
  databaseSeries(): Promise<DatabaseSeries[]>;
  /** Every live database's latest container sample with the names to label it by. */
  containerSeries(): Promise<ContainerSeries[]>;
}

export interface DurationSeries {
  labels: Record<string, string>;
  /** Counts of durations ≤ each bucket, in the order of the buckets asked for. */
  cumulative: number[];
  sum: number;
  count: number;
}

export interface DatabaseSeries {
  tenant: string;
  database: string;
  databaseId: string;
  engine: string;
  host: string;
  status: string;
  ha: string;
  volumeUsedBytes: number | null;
  volumeSizeBytes: number | null;
  volumeDriver: string | null;
  /** Directory volumes: the quota's state (null: not judged yet). */
  quotaState: QuotaState | null;
}

export interface ContainerSeries {
  sample: DatabaseSampleEntity;
  tenant: string;
  database: string;
  databaseId: string;
  engine: string;
  host: string;
}

export const SAMPLE_REPOSITORY = Symbol('SAMPLE_REPOSITORY');
export interface SampleRepository {
  upsert(samples: DatabaseSampleEntity[]): Promise<void>;
  /** Drops the samples of databases no longer live (deleted, or moved off the host that reported them). */
  prune(): Promise<number>;
  list(): Promise<DatabaseSampleEntity[]>;
}

export const PLACEMENT_SETTINGS_REPOSITORY = Symbol('PLACEMENT_SETTINGS_REPOSITORY');
export interface PlacementSettingsRepository {
  get(): Promise<PlacementSettingsEntity>;
  update(patch: Partial<Omit<PlacementSettingsEntity, 'id' | 'updatedAt'>>): Promise<PlacementSettingsEntity>;
}

export const CERTIFICATE_AUTHORITY_REPOSITORY = Symbol('CERTIFICATE_AUTHORITY_REPOSITORY');
export interface CertificateAuthorityRepository {
  /** The CA that signs now, with its sealed key, or null before the first start made one. */
  current(): Promise<CertificateAuthorityEntity | null>;
  /** Every CA (without keys), the current one first, then the newest. */
  list(): Promise<CertificateAuthorityEntity[]>;
  /** Stores it unless one of that name exists (another process made it first: the caller reads that one). */
  insertIfAbsent(ca: { name: string; certPem: string; keySealed: string; notAfter: Date }): Promise<void>;
  /**
   * In one transaction: the current CA becomes `previous` (its certificates replaced from `reissueAt`, null: at their
   * renewal) and `next` the current one. Two rotations at once run one after the other.
   */
  rotate(
    next: { name: string; certPem: string; keySealed: string; notAfter: Date },
    reissueAt: Date | null,
  ): Promise<void>;
  /** The certificates of every `previous` CA are to be replaced from `at` (an earlier time is kept). */
  reissuePrevious(at: Date): Promise<number>;
  /** A `previous` CA leaves the bundle and its key is dropped; false when it was not `previous`. */
  retire(name: string): Promise<boolean>;
}
