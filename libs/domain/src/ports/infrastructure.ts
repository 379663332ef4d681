import type { Readable, Writable } from 'node:stream';
import type { HostEntity, StorageBackendEntity, VolumeEntity } from '@app/persistence/entities';

/** The result of a command run on a host. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  /** Values to mask in logs and error messages. */
  secrets?: string[];
}

/** A program started with streams attached (bulk data: file trees, archives), for callers that pipe. */
export interface CommandStream {
  stdin: Writable;
  stdout: Readable;
  /** Settles when the program has exited and its output was read: exit code and (masked, bounded) stderr. */
  done: Promise<{ exitCode: number; stderr: string }>;
  /** Ends the program early (the caller gave up). */
  kill(): void;
}

export interface StreamOptions {
  /** Values to mask in stderr and errors. */
  secrets?: string[];
}

/** `text` with every secret in it written `***`: what executors (and whatever reports their output) do to errors. */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  return secrets.reduce((t, s) => (s ? t.split(s).join('***') : t), text);
}

/** Runs a program with an argument array on a host (never a shell string built from input). */
export interface CommandExecutor {
  /**
   * This host's helper (see host-helper.ts) when it is not HOST_HELPER_PATH run by `python3`: the control plane's
   * own copy, run by the system's Python (not whatever `python3` a caller's PATH finds first).
   */
  readonly hostHelper?: { python: string; path: string };
  run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  /** Starts a program with piped stdin/stdout, for data too large to buffer. Same quoting rules as `run`. */
  spawn(argv: readonly string[], opts?: StreamOptions): Promise<CommandStream>;
}

export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  cmd?: string[];
  labels: Record<string, string>;
  containerPort: number;
  hostIp: string;
  hostPort: number;
  binds: { hostPath: string; containerPath: string; readOnly?: boolean }[];
  cpus: number;
  memoryMb: number;
  /** `uid:gid` the container's first process runs as (absent: the image's, root for the official images). */
  user?: string;
  /** Capabilities kept: every other one is dropped. */
  capAdd?: string[];
  readOnlyRoot?: boolean;
  /** tmpfs mounts: container path → mount options. */
  tmpfs?: Record<string, string>;
  pidsLimit?: number;
  ulimits?: { name: string; soft: number; hard: number }[];
  /** The network the container is attached to (absent: the engine's default bridge); see ensureNetwork. */
  network?: string;
  /**
   * Whether the container may open connections out (replies to connections made to it always flow). Like
   * egressMbit, enforced by the caller in the running container's network namespace, so never a new container.
   */
  allowEgress?: boolean;
  /**
   * What the host needs before this container is created or started (its volume owned by the engine's user, the
   * password files): run by ensureRunning then, never under a running container. Not part of its definition.
   */
  prepare?: () => Promise<void>;
  /** Block I/O limits (absent: the engine's defaults). */
  io?: ContainerIoLimits;
  /**
   * Outgoing bandwidth in Mbit/s (null: not shaped). Not an engine setting: the caller shapes the container's network
   * namespace after each start, so a change never needs a new container.
   */
  egressMbit?: number | null;
  // HA containers are not brought back by the engine when their host reboots: the control plane decides.
  restartPolicy?: 'unless-stopped' | 'no';
  /**
   * The network, its address and the published port belong to a small holder container the runtime keeps running
   * beside this one (HA databases): made ahead on the standby host, it spares the takeover's start the network's
   * setup. The container joins the holder's namespace; removing the container removes the holder.
   */
  netHolder?: boolean;
}

export interface ContainerIoLimits {
  /** Relative share of the disk under contention, 10-1000 (100: the default share). */
  weight: number;
  /** Caps in MiB/s on `device`; null: none. */
  readMbps: number | null;
  writeMbps: number | null;
  /** The whole-disk block device on the host that holds the volume (caps apply to it); null: caps not applied. */
  device: string | null;
}

export interface ContainerState {
  id: string;
  running: boolean;
  status: string;
  labels: Record<string, string>;
  restartCount: number;
  /** The host pid of the container's first process; 0 when it is not running. */
  pid: number;
  /** The host path of the container's network namespace (bound for as long as it runs); null when not running. */
  netns: string | null;
  /** The block I/O weight the engine really applied (0: none, e.g. the engine discarded it on this kernel). */
  ioWeight: number;
}

export interface ProgressFn {
  (pct: number, message: string): void | Promise<void>;
}

/** The container engine of one host. */
export interface ContainerRuntime {
  inspect(name: string): Promise<ContainerState | null>;
  ensureImage(image: string, onProgress?: ProgressFn): Promise<void>;
  /**
   * Creates the container if absent (or replaces it if its spec changed) and starts it, with its network made first.
   * `created`: a new container was made (a changed spec replaces the old one). Idempotent.
   */
  ensureRunning(spec: ContainerSpec): Promise<ContainerState & { created: boolean }>;
  /**
   * Creates the container if absent, without `prepare` and without starting it (ensureRunning does both later):
   * 'created', or 'present' when one is there already (a running one, or one of another spec, is left as it is).
   */
  ensureCreated(spec: ContainerSpec): Promise<'created' | 'present'>;
  /**
   * A bridge network of its own for a tenant's containers on this host, with no traffic between its containers
   * (each reaches only what the host publishes). Made when missing; returns what to attach containers by (its
   * name, or its id while the name is shared).
   */
  ensureNetwork(name: string, labels?: Record<string, string>): Promise<string>;
  /** The networks labelled `labelKey`, with how many containers are bound to each (running or not). */
  networks(labelKey: string): Promise<{ id: string; name: string; containers: number }[]>;
  /** Removes the network unless a container uses it (then, or when it is gone, false). */
  removeUnusedNetwork(id: string): Promise<boolean>;
  /** Resolves when the engine answers; throws otherwise. */
  ping(timeoutMs: number): Promise<void>;
  restart(name: string, timeoutSec?: number): Promise<void>;
  stop(name: string, timeoutSec?: number): Promise<void>;
  /** Freezes every process of the container (cgroup freezer): its files stop changing, its connections stay open. */
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  /** Removes the container and what the runtime keeps for it (its network holder); true when any was there. */
  remove(name: string): Promise<boolean>;
  /**
   * Applies CPU, memory and I/O weight to the running container. 'recreate': a limit changed that the engine sets
   * only when it creates a container (disk caps); the caller recreates it (ensureRunning) for it to take effect.
   */
  updateResources(
    name: string,
    res: { cpus: number; memoryMb: number; io?: ContainerIoLimits },
  ): Promise<'updated' | 'recreate'>;
  logs(name: string, tail: number): Promise<string[]>;
  /**
   * Calls `onOutput` each time the container writes to its log from now on, until the returned function is called
   * (a readiness check then asks at once instead of at its next poll). Best effort: a runtime that cannot follow
   * resolves a stopper that does nothing.
   */
  followLogs(name: string, onOutput: () => void): Promise<() => void>;
}

export const HOST_CONNECTOR = Symbol('HOST_CONNECTOR');
export interface HostConnector {
  runtime(host: HostEntity): Promise<ContainerRuntime>;
  executor(host: HostEntity): Promise<CommandExecutor>;
  /**
   * Where the control plane can reach `port` of the host's tenant address: itself for hosts it can route to,
   * else a local port forwarded through the host's SSH session. Kept open for reuse; no need to close.
   */
  /**
   * Where the control plane reaches a database. `fromHost`: through the host itself (an SSH port forward), never
   * directly: an IP allow-list on the host filters what comes from outside, the control plane included.
   */
  endpoint(host: HostEntity, port: number, address?: string, opts?: { fromHost?: boolean }): Promise<EngineEndpoint>;
  /** Commands on the control plane's own machine (a local backup target). */
  controlPlane(): CommandExecutor;
  /** Commands on a storage server (SAN backend), over SSH. */
  storageExecutor(backend: StorageBackendEntity): Promise<CommandExecutor>;
  /** Floating addresses (HA VIPs) on the host's VIP interface; adding one announces it with gratuitous ARP. */
  vips(host: HostEntity): Promise<VipControl>;
  /**
   * Liveness, keepalived-style: a TCP connection to the host's SSH port within `connectMs`, answered by the
   * server's banner within `bannerMs`; no key exchange (seconds on a loaded host). `viaSession`: first an SSH
   * keepalive on the session already open, answered by its own sshd process (a new connection costs the host a
   * process); no session, and the banner decides as above; no answer within a short grace, and the banner is asked
   * too, the first answer deciding.
   */
  probe(host: HostEntity, connectMs: number, bannerMs: number, opts?: { viaSession?: boolean }): Promise<void>;
  /**
   * A witness's look at a host the control plane cannot reach: through the witness's own session (another host,
   * or a storage server), does any of `targets` answer with an SSH banner within `timeoutMs`? Rejects when the
   * witness itself cannot be asked in time (then it casts no vote).
   */
  witnessProbe(
    witness: { host: HostEntity } | { backend: StorageBackendEntity },
    targets: { address: string; port: number }[],
    timeoutMs: number,
  ): Promise<boolean>;
  /** Forgets the host's sessions (after it died), so the next call reconnects instead of waiting on a dead socket. */
  reset(host: HostEntity): Promise<void>;
  /** What the host's containers use, from its container engine. */
  stats(host: HostEntity): Promise<ContainerStatsReader>;
}

/** A container's resource use: rates averaged over the engine's last interval, counters since it started. */
export interface ContainerStats {
  cpuCores: number;
  cpuSecondsTotal: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blkReadBytes: number;
  blkWriteBytes: number;
}

export interface ContainerStatsReader {
  /** null: no such container, or not running. */
  read(name: string): Promise<ContainerStats | null>;
}

export interface VipControl {
  has(ip: string): Promise<boolean>;
  add(ip: string, prefixLen: number): Promise<void>;
  remove(ip: string, prefixLen: number): Promise<void>;
}

/** Powers a host off (or confirms it is off) before its databases are taken over elsewhere. */
export const FENCER = Symbol('FENCER');
export interface FenceResult {
  /**
   * True only when the host is known to be unable to write: a fence agent's status said its power is off, or an
   * operator vouched for it. `poweroff -f` over SSH never sets it, whatever the host answered.
   */
  fenced: boolean;
  method: string;
  detail: string;
  /** What confirmed the fence: 'agent-status' (the agent's status run said off). */
  confirmedBy?: string;
}
export interface Fencer {
  fence(host: HostEntity): Promise<FenceResult>;
  /** Why `agent` cannot be run (not in the allow-list, not an executable file there...), or null when it can. */
  checkAgent(agent: string): Promise<string | null>;
  /** The names of the agents in the allow-list that can be run. */
  agents(): Promise<string[]>;
}

export interface VolumeUsage {
  usedBytes: number;
}

/** How a volume's size is held: by its filesystem (a hard stop), or measured and enforced by the platform. */
export type SizeHold = 'filesystem' | 'measured';

/**
 * What a storage driver changed about a volume's row: where it lives now (host, DRBD peer), its device and data
 * path, its LUN, its mirror's state. Drivers never write the volumes table: they return this, and the domain
 * records it (libs/domain/src/volumes/volume-changes.ts, behind the STORAGE_DRIVERS binding) before the call
 * returns to its caller. Only the fields that changed are set.
 */
export type VolumeChange = Partial<
  Pick<VolumeEntity, 'hostId' | 'peerHostId' | 'mirrorState' | 'device' | 'path' | 'lunId'>
>;

/** A volume made usable on a host: the path to bind into the container, and what changed about the volume. */
export interface VolumeMounted {
  hostPath: string;
  changed?: VolumeChange;
}

/**
 * The domain's one writer of what storage changes about volumes. The STORAGE_DRIVERS binding records through it
 * what drivers return; a driver calls it itself only for what must be stored before its operation goes on: a
 * checkpoint that must outlive a crash (the LUN a volume was given, recorded under the host's storage lock before
 * the slow steps) and a DRBD volume's shared secret (both hosts' resource files need the same one).
 */
export const VOLUME_RECORDER = Symbol('VOLUME_RECORDER');
export interface VolumeRecorder {
  record(volumeId: string, change: VolumeChange): Promise<void>;
  /** Stores a sealed DRBD shared secret unless the volume has one already (the first writer wins). */
  recordSealedDrbdSecretIfNone(volumeId: string, sealed: string): Promise<void>;
}

/** Where a database's data lives on its host. The SAN driver implements the same interface. */
export interface StorageDriver {
  readonly name: string;
  /**
   * Creates the volume (idempotent) and returns the host path to bind into the container, and what it changed
   * about the volume (its device, LUN or path), which the domain records.
   */
  ensure(host: HostEntity, volume: VolumeEntity): Promise<VolumeMounted>;
  remove(host: HostEntity, volume: VolumeEntity): Promise<void>;
  usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage>;
  /**
   * Drivers whose volumes have no size of their own (directories): puts the volume under a filesystem quota of its
   * size where the filesystem has them; 'measured' elsewhere (the platform then holds the size itself). Idempotent.
   */
  holdSize?(host: HostEntity, volume: VolumeEntity): Promise<SizeHold>;
  /** Grows the volume online to `sizeGb` (drivers that cannot enforce a size leave this out). */
  grow?(host: HostEntity, volume: VolumeEntity, sizeGb: number): Promise<void>;
  /** HA: a clean hand-over on a live host (switchover): unmounted, then demoted or deactivated. Idempotent. */
  release?(host: HostEntity, volume: VolumeEntity): Promise<void>;
  /**
   * HA: makes the volume usable on `target` once its previous host was released or fenced. Idempotent. Returns the
   * host path to bind into the container and the move (`changed`: its new host, peer, device, path, mirror state),
   * which the domain records. `released`: the old primary handed over cleanly (a switchover; DRBD: the target must
   * still be connected to it). `acceptDataLoss`: an operator decided to promote a copy that may lack committed
   * writes (DRBD: a forced promotion of an Outdated copy; never an Inconsistent one).
   */
  takeover?(
    target: HostEntity,
    volume: VolumeEntity,
    opts?: { acceptDataLoss?: boolean; released?: boolean },
  ): Promise<VolumeMounted>;
  /**
   * HA: where `takeover` will mount the volume on `target` and the data directory it will return, known before it
   * runs, so the container can be created meanwhile.
   */
  takeoverPaths?(target: HostEntity, volume: VolumeEntity): { mount: string; hostPath: string };
  /** HA: the hosts that can take this volume over (DRBD: its peer only; SAN: the hosts of the same backend). */
  takeoverCandidates?(volume: VolumeEntity, hosts: HostEntity[]): HostEntity[];
  /** Replicated drivers: a returning host's copy brought back as the secondary, to resync from the primary. */
  rejoin?(host: HostEntity, volume: VolumeEntity): Promise<void>;
  /** Replicated drivers: the state of every mirror this host runs, keyed by volume id (one cheap call per host). */
  mirrors?(host: HostEntity, volumes: VolumeEntity[]): Promise<Map<string, MirrorStatus>>;
  /**
   * Replicated drivers, on a primary whose fence-peer handler asked (MirrorStatus.fenceRequest): tells it the
   * control plane knows its peer misses writes, so it goes on alone. Only after that was recorded.
   */
  ackFencePeer?(host: HostEntity, volume: VolumeEntity, request: string): Promise<void>;
  /** Replicated drivers: the copy on `peer` marked outdated (it cannot be promoted without force). */
  outdatePeer?(peer: HostEntity, volume: VolumeEntity): Promise<void>;
  /** Replicated drivers: the fence-peer markers of the volume removed from the host (after a resync). */
  clearFenceMarkers?(host: HostEntity, volume: VolumeEntity): Promise<void>;
  /**
   * A crash-consistent view of the volume's data at one instant, taken without stopping the database (an LVM
   * snapshot, mounted on the volume's host). `path` is the data directory inside it. Null when there is no room
   * for one: the caller then freezes the container for a short final copy instead. `release` is idempotent.
   */
  snapshot?(host: HostEntity, volume: VolumeEntity, tag: string): Promise<VolumeSnapshot | null>;
  /**
   * A clone made by the storage itself in constant time (a thin snapshot of the source's LUN on the storage
   * server): `target`, a fresh volume not yet created, becomes the source's data at one instant. When the storage
   * cannot (thick LUNs, another backend, a different size), `refused` says why and nothing was changed: the
   * caller then copies files. Idempotent: a retry resumes where a crash stopped.
   */
  cloneVolume?(source: PlacedVolume, target: PlacedVolume): Promise<StorageClone>;
}

export interface PlacedVolume {
  host: HostEntity;
  volume: VolumeEntity;
}

export type StorageClone = { method: string; frozenMs: number } | { refused: string };

export interface VolumeSnapshot {
  path: string;
  method: string;
  release(): Promise<void>;
}

export interface MirrorStatus {
  role: 'primary' | 'secondary' | 'down';
  state: 'synced' | 'syncing' | 'degraded';
  /** The primary lost its peer and its fence-peer handler waits (I/O frozen) for this request to be answered. */
  fenceRequest?: string;
  /** Fence-peer markers (requests, answers) are on the host for this volume. */
  fenceMarkers?: boolean;
}

/**
 * The drivers by name. As bound for the domain, every `changed` a driver returns (VolumeMounted) is recorded on the
 * volume before the call returns: callers only read the result.
 */
export const STORAGE_DRIVERS = Symbol('STORAGE_DRIVERS');
export interface StorageDrivers {
  get(name: string): StorageDriver;
  names(): string[];
}

export interface EngineEndpoint {
  host: string;
  port: number;
  /**
   * Connect over TLS, verifying the server's certificate against `ca` and for `serverName` (the name tenants use;
   * `host` may be an SSH forward's local end). Absent: clear text.
   */
  tls?: { ca: string; serverName: string };
}

/** A login to an engine: whose, with which password, and the database to connect to (null: the engine's default). */
export interface EngineLogin {
  username: string;
  password: string;
  database: string | null;
}

/** The tenant's account as the owner model wants it: this name and password, owning `dbName` and nothing more. */
export interface TenantAccount {
  username: string;
  password: string;
  dbName: string;
}

export interface OwnerModelRequest {
  /** The platform's admin login (PostgreSQL and MongoDB: `dbaas_admin`; MySQL and MariaDB: root). */
  admin: EngineLogin;
  tenant: TenantAccount;
  /**
   * Set to convert data made under the legacy model, where the tenant's account was the engine's superuser: the
   * tenant's passwords that may still open it (tried in turn when the admin does not answer yet), and everything
   * the tenant's superuser made is handed to its owner role. Idempotent: a retry after a crash finishes the job.
   */
  legacyPasswords?: string[];
}

/** Talks each engine's own protocol: readiness and accounts, from the control plane. */
export const ENGINE_CLIENT = Symbol('ENGINE_CLIENT');
export interface EngineClient {
  /** Resolves when a real client can authenticate with `login` and run a trivial command; throws otherwise. */
  ping(engine: string, endpoint: EngineEndpoint, login: EngineLogin): Promise<void>;
  /**
   * As the admin (engines whose accounts live in the data): creates the tenant's account or sets its password,
   * and takes away whatever is more than owning its database. Returns what it changed beyond that, for the events.
   */
  applyOwnerModel(engine: string, endpoint: EngineEndpoint, req: OwnerModelRequest): Promise<string[]>;
  /**
   * As the admin: puts the engine in or out of read-only (a full volume) so that the tenant's account cannot undo
   * it. 'unchanged': it already was; 'changed': in force now; 'restart' (PostgreSQL going read-only): the engine
   * was told to come back read-only, the caller restarts its container and asks again. Idempotent.
   */
  setReadOnly(
    engine: string,
    endpoint: EngineEndpoint,
    req: ReadOnlyRequest,
  ): Promise<'unchanged' | 'changed' | 'restart'>;
  /**
   * As the admin: the running server reads its certificate and key files again (`files`: their paths in its
   * container) and serves them to new connections; open sessions and the server stay as they are.
   */
  reloadTls(
    engine: string,
    endpoint: EngineEndpoint,
    admin: EngineLogin,
    files: { cert: string; key: string },
  ): Promise<void>;
}

export interface ReadOnlyRequest {
  admin: EngineLogin;
  tenant: TenantAccount;
  readOnly: boolean;
  /** Redis: the ACL rules of the tenant's user when it may write (read-only takes the writes away from them). */
  tenantRules?: readonly string[];
}

/** A certificate and its private key, PEM (the key PKCS#8). */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** What a server certificate is made for: its names (the subjectAltNames) and validity. */
export interface ServerCertificateRequest {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  notBefore: Date;
  notAfter: Date;
}

/** What the platform reads back from a certificate. */
export interface CertificateFacts {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
}

/** X.509: the platform's CA and the server certificates it signs. */
export const CERTIFICATE_TOOLKIT = Symbol('CERTIFICATE_TOOLKIT');
export interface CertificateToolkit {
  /** A new self-signed CA (its own key) that may sign server certificates only. */
  createAuthority(req: { commonName: string; notBefore: Date; notAfter: Date }): Promise<CertificateAndKey>;
  /** A new key and a server certificate for it, signed by `ca`. */
  issueServer(ca: CertificateAndKey, req: ServerCertificateRequest): Promise<CertificateAndKey>;
  describe(certPem: string): CertificateFacts;
  /** Whether `certPem` carries a valid signature of the CA `caPem`. */
  issuedBy(certPem: string, caPem: string): boolean;
}

/**
 * Which engine images the platform's registry holds (IMAGE_REGISTRY), so that a request whose image cannot be
 * pulled is refused before anything is created. Answers may be up to half a minute old.
 */
export const IMAGE_CATALOG = Symbol('IMAGE_CATALOG');
export interface ImageCatalog {
  /**
   * The tags of an image repository, named as in the engine catalogue (`library/postgres`): empty when the
   * registry says it has no such repository; null when that cannot be known (no registry configured, no answer,
   * credentials refused), and then nothing is refused on its account (the worker's pull reports what fails).
   */
  tags(repository: string): Promise<string[] | null>;
}

/** Serialises work on one resource across worker replicas (a PostgreSQL advisory lock; released if the worker dies). */
export const RESOURCE_LOCK = Symbol('RESOURCE_LOCK');
export interface ResourceLock {
  withLock<T>(key: string, fn: () => Promise<T>, waitMs?: number): Promise<T>;
  /** Takes the lock if free and keeps it until released or the process dies (leader election). */
  tryHold(key: string): Promise<HeldLock | null>;
}

export interface HeldLock {
  /** False once the connection holding the lock is gone (the lock is then free for others). */
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

export const SECRET_BOX = Symbol('SECRET_BOX');
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}
