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

/** Runs a program with an argument array on a host (never a shell string built from input). */
export interface CommandExecutor {
  run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult>;
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
  binds: { hostPath: string; containerPath: string }[];
  cpus: number;
  memoryMb: number;
}

export interface ContainerState {
  id: string;
  running: boolean;
  status: string;
  labels: Record<string, string>;
  restartCount: number;
}

export interface ProgressFn {
  (pct: number, message: string): void | Promise<void>;
}

/** The container engine of one host. */
export interface ContainerRuntime {
  inspect(name: string): Promise<ContainerState | null>;
  ensureImage(image: string, onProgress?: ProgressFn): Promise<void>;
  /** Creates the container if absent (or replaces it if its spec changed) and starts it. Idempotent. */
  ensureRunning(spec: ContainerSpec): Promise<ContainerState>;
  restart(name: string, timeoutSec?: number): Promise<void>;
  stop(name: string, timeoutSec?: number): Promise<void>;
  remove(name: string): Promise<void>;
  updateResources(name: string, res: { cpus: number; memoryMb: number }): Promise<void>;
  logs(name: string, tail: number): Promise<string[]>;
}

export const HOST_CONNECTOR = Symbol('HOST_CONNECTOR');
export interface HostConnector {
  runtime(host: HostEntity): Promise<ContainerRuntime>;
  executor(host: HostEntity): Promise<CommandExecutor>;
  /**
   * Where the control plane can reach `port` of the host's tenant address: itself for hosts it can route to,
   * else a local port forwarded through the host's SSH session. Kept open for reuse; no need to close.
   */
  endpoint(host: HostEntity, port: number): Promise<EngineEndpoint>;
  /** Commands on a storage server (SAN backend), over SSH. */
  storageExecutor(backend: StorageBackendEntity): Promise<CommandExecutor>;
}

export interface VolumeUsage {
  usedBytes: number;
}

/** Where a database's data lives on its host. The SAN driver implements the same interface. */
export interface StorageDriver {
  readonly name: string;
  /** Creates the volume (idempotent) and returns the host path to bind into the container. */
  ensure(host: HostEntity, volume: VolumeEntity): Promise<{ hostPath: string }>;
  remove(host: HostEntity, volume: VolumeEntity): Promise<void>;
  usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage>;
  /** Grows the volume online to `sizeGb` (drivers that cannot enforce a size leave this out). */
  grow?(host: HostEntity, volume: VolumeEntity, sizeGb: number): Promise<void>;
}

export const STORAGE_DRIVERS = Symbol('STORAGE_DRIVERS');
export interface StorageDrivers {
  get(name: string): StorageDriver;
  names(): string[];
}

export interface EngineEndpoint {
  host: string;
  port: number;
}

export interface EngineCredentials {
  username: string;
  password: string;
  dbName: string;
  adminPassword: string | null;
}

/** Talks each engine's own protocol: readiness and password changes, from the control plane. */
export const ENGINE_CLIENT = Symbol('ENGINE_CLIENT');
export interface EngineClient {
  /** Resolves when a real client can authenticate and run a trivial command; throws otherwise. */
  ping(engine: string, endpoint: EngineEndpoint, creds: EngineCredentials): Promise<void>;
  /** Changes the tenant user's password in the running database (engines whose password lives in the data). */
  setPassword(engine: string, endpoint: EngineEndpoint, creds: EngineCredentials, newPassword: string): Promise<void>;
}

/** Serialises work on one resource across worker replicas (a PostgreSQL advisory lock; released if the worker dies). */
export const RESOURCE_LOCK = Symbol('RESOURCE_LOCK');
export interface ResourceLock {
  withLock<T>(key: string, fn: () => Promise<T>, waitMs?: number): Promise<T>;
}

export const SECRET_BOX = Symbol('SECRET_BOX');
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}
