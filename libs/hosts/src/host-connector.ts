import { Agent } from 'node:http';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Docker from 'dockerode';
import { CommonEnv, ENV } from '@app/config';
import {
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  type CommandExecutor,
  type ContainerRuntime,
  type ContainerStatsReader,
  type EngineEndpoint,
  type HostConnector,
  type VipControl,
} from '@app/domain/ports';
import type { HostEntity, StorageBackendEntity } from '@app/persistence/entities';
import { DockerStatsReader } from './docker/container-stats';
import { DockerRuntime, RegistryAuth } from './docker/docker-runtime';
import { LocalExecutor } from './executors/local-executor';
import { HostKeyCheck } from './executors/host-key';
import { SshExecutor } from './executors/ssh-executor';
import { HostVip } from './network/vip';
import { probeFrom } from './witness/witness-probe';
import { withTimeout } from '@app/domain/shared/timeout';

export class HostUnreachable extends Error {}

/**
 * Resolves when the SSH server at host:port sends its identification line ("SSH-2.0-…"). The TCP connection must
 * be up within `connectMs` (a powered-off host never answers; a live kernel answers at once, however busy), the
 * banner within `bannerMs` (userland: slower on a loaded host, so it gets a longer budget).
 */
export function sshBanner(host: string, port: number, connectMs: number, bannerMs = connectMs): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    // Which timer is current: a connect timer that fired after the connection came in is stale.
    let armed = 0;
    const finish = (err?: Error) => {
      armed = -1;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    // A timer runs before the I/O that arrived while the event loop was stalled (a busy worker): the verdict waits
    // for that I/O to be read (setImmediate runs after it), so a late timer cannot fail a host that answered.
    const arm = (ms: number, message: string) => {
      clearTimeout(timer);
      const mine = ++armed;
      timer = setTimeout(() => setImmediate(() => armed === mine && finish(new Error(message))), ms);
    };
    arm(connectMs, `no TCP connection within ${connectMs} ms`);
    socket.once('connect', () => arm(bannerMs, `no SSH banner within ${bannerMs} ms`));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.startsWith('SSH-')) finish();
      else if (data.length > 255 || data.includes('\n')) finish(new Error('not an SSH server'));
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed before the SSH banner')));
  });
}

/**
 * An HTTP agent whose connections are streams to the host's Docker socket over the host's one SSH session.
 * (dockerode's own `ssh` protocol opens a new SSH connection and starts `docker system dial-stdio` for every
 * request: seconds each on a loaded host.)
 */
export function dockerOverSsh(executor: SshExecutor, socketPath = '/var/run/docker.sock'): Agent {
  const agent = new Agent({ keepAlive: false });
  const createConnection = (_opts: unknown, cb: (err: Error | null, socket?: Duplex) => void) => {
    executor.openUnixSocket(socketPath).then(
      (stream) => {
        // http sets these on sockets; an SSH channel has no TCP options to set.
        const s = stream as Duplex & Record<string, unknown>;
        for (const m of ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref'])
          if (typeof s[m] !== 'function') s[m] = () => s;
        cb(null, stream);
      },
      (err: Error) => cb(err),
    );
    return undefined;
  };
  (agent as unknown as { createConnection: typeof createConnection }).createConnection = createConnection;
  return agent;
}

/** How long a probe waits for the session's answer alone before it also asks for a banner. */
const SESSION_GRACE_MS = 200;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a host's session depends on: another address, port or user is another session. */
const remoteVersion = (host: HostEntity) => `${host.sshAddress ?? host.address}|${host.sshPort}|${host.sshUser}`;

interface Remote {
  version: string;
  executor: SshExecutor;
  runtime: DockerRuntime;
  stats: DockerStatsReader;
  forwards: Map<string, Promise<{ port: number; close(): Promise<void> }>>;
}

/**
 * Gives the domain a container runtime and a command executor for any registered host: the local engine
 * through its socket, remote ones over SSH (commands through node-ssh, Docker through `docker system
 * dial-stdio` over the same kind of SSH session), so the same code drives every host.
 */
@Injectable()
export class DockerHostConnector implements HostConnector, OnApplicationShutdown {
  private readonly local: DockerRuntime;
  private readonly localStats: DockerStatsReader;
  private readonly localExec = new LocalExecutor();
  private readonly auth?: RegistryAuth;
  private readonly remotes = new Map<string, Remote>();
  private readonly storage = new Map<string, { version: string; executor: SshExecutor }>();
  private readonly mismatchesRecorded = new Map<string, number>();

  constructor(
    @Inject(ENV) env: CommonEnv,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {
    this.auth =
      env.IMAGE_REGISTRY && env.IMAGE_REGISTRY_USERNAME
        ? {
            serveraddress: env.IMAGE_REGISTRY.split('/')[0],
            username: env.IMAGE_REGISTRY_USERNAME,
            password: env.IMAGE_REGISTRY_PASSWORD ?? '',
          }
        : undefined;
    const localDocker = new Docker({ socketPath: env.DOCKER_SOCKET });
    this.local = new DockerRuntime(localDocker, this.auth);
    this.localStats = new DockerStatsReader(localDocker);
  }

  async runtime(host: HostEntity): Promise<ContainerRuntime> {
    return host.connection === 'local' ? this.local : (await this.remote(host)).runtime;
  }

  async stats(host: HostEntity): Promise<ContainerStatsReader> {
    return host.connection === 'local' ? this.localStats : (await this.remote(host)).stats;
  }

  controlPlane(): CommandExecutor {
    return this.localExec;
  }

  async executor(host: HostEntity): Promise<CommandExecutor> {
    return host.connection === 'local' ? this.localExec : (await this.remote(host)).executor;
  }

  async endpoint(
    host: HostEntity,
    port: number,
    address = host.address,
    opts: { fromHost?: boolean } = {},
  ): Promise<EngineEndpoint> {
    // A remote host reached through another SSH address: its tenant network may not be routable from here. An
    // allow-listed database (fromHost): the forward's connection starts on the host, where the list does not apply.
    const direct = !host.sshAddress || host.sshAddress === host.address;
    if (host.connection === 'local' || (direct && !opts.fromHost)) return { host: address, port };
    const remote = await this.remote(host);
    const key = `${address}:${port}`;
    let fwd = remote.forwards.get(key);
    if (!fwd) {
      fwd = remote.executor.forward(address, port);
      remote.forwards.set(key, fwd);
      // A forward that failed to open is not kept: the next call tries again.
      fwd.catch(() => remote.forwards.delete(key));
    }
    return { host: '127.0.0.1', port: (await fwd).port };
  }

  async vips(host: HostEntity): Promise<VipControl> {
    const iface = host.vipInterface;
    if (!iface) throw new HostUnreachable(`host ${host.name} has no VIP interface configured`);
    const vip = new HostVip(await this.executor(host));
    return {
      has: (ip) => vip.has(ip, iface),
      add: (ip, prefixLen) => vip.add(ip, prefixLen, iface),
      remove: (ip, prefixLen) => vip.remove(ip, prefixLen, iface),
    };
  }

  async probe(
    host: HostEntity,
    connectMs: number,
    bannerMs: number,
    opts: { viaSession?: boolean } = {},
  ): Promise<void> {
    if (host.connection === 'local') return;
    // A banner probe makes the host's sshd fork (and re-exec) itself: ~0.2 s of CPU on a small VM, every second.
    // The session already open answers from its own process; when it does not in time, the banner decides.
    const banner = () => sshBanner(host.sshAddress ?? host.address, host.sshPort, connectMs, bannerMs);
    const cached = this.remotes.get(host.id);
    if (!opts.viaSession || cached?.version !== remoteVersion(host)) return banner();
    const ping = cached.executor.ping(connectMs);
    const early = await Promise.race([ping, delay(SESSION_GRACE_MS).then(() => null)]);
    if (early) return;
    if (early === false) return banner();
    // Late (a busy session, or a dead host whose session has not noticed yet): the banner too. Either answer is a
    // live host; it fails only when both did, with the banner's reason. A dead host costs this grace more than
    // before, not a whole connect budget.
    const viaBanner = banner();
    const viaSession = ping.then((ok) => {
      if (!ok) throw new Error('no answer on the session');
    });
    await Promise.any([viaSession, viaBanner]).catch(() => viaBanner);
  }

  async witnessProbe(
    witness: { host: HostEntity } | { backend: StorageBackendEntity },
    targets: { address: string; port: number }[],
    timeoutMs: number,
  ): Promise<boolean> {
    const session = 'host' in witness ? this.executor(witness.host) : this.storageExecutor(witness.backend);
    // A witness whose own session is not up at once is no witness: its vote would come too late to matter.
    const exec = await withTimeout(session, timeoutMs, 'the witness does not answer');
    return withTimeout(probeFrom(exec, targets, timeoutMs), timeoutMs + 2000, 'the witness did not answer in time');
  }

  async reset(host: HostEntity): Promise<void> {
    const cached = this.remotes.get(host.id);
    if (!cached) return;
    this.remotes.delete(host.id);
    await this.closeRemote(cached).catch(() => undefined);
  }

  async storageExecutor(backend: StorageBackendEntity): Promise<CommandExecutor> {
    const version = `${backend.sshAddress}|${backend.sshPort}|${backend.sshUser}`;
    const cached = this.storage.get(backend.id);
    if (cached && cached.version === version) return cached.executor;
    await cached?.executor.close();
    const sealed = await this.backends.getSealedKey(backend.id);
    if (!sealed) throw new HostUnreachable(`storage backend ${backend.name} has no SSH key registered`);
    const executor = new SshExecutor(
      {
        host: backend.sshAddress,
        port: backend.sshPort,
        username: backend.sshUser,
        privateKey: this.secrets.open(sealed),
        label: backend.name,
      },
      this.hostKeyCheck('storage-backend', backend.id, backend.name),
    );
    this.storage.set(backend.id, { version, executor });
    return executor;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.remotes.values()].map((r) => this.closeRemote(r)));
    await Promise.all([...this.storage.values()].map((r) => r.executor.close()));
  }

  /**
   * The pinned host key decides, read at each connection (so a key the operator confirms or replaces counts at
   * once). None pinned yet: the first key seen is recorded (trust on first use) for the operator to confirm.
   * A mismatch is refused before any credential is sent, and recorded as a `host.key-mismatch` event.
   */
  private hostKeyCheck(kind: 'host' | 'storage-backend', id: string, name: string): HostKeyCheck {
    const repo = kind === 'host' ? this.hosts : this.backends;
    const ids = kind === 'host' ? { hostId: id } : {};
    return async (presented) => {
      let pinned = (await repo.get(id))?.hostKeyFingerprint;
      if (!pinned) {
        if (await repo.pinHostKey(id, presented, true)) {
          await this.events.record({
            type: `${kind}.key-recorded`,
            message: `${kind} ${name}: SSH host key ${presented} recorded on first contact; confirm it`,
            ...ids,
            data: { [kind === 'host' ? 'hostId' : 'storageBackendId']: id, fingerprint: presented },
          });
          return { accepted: true };
        }
        // Another connection pinned one first: that one decides.
        pinned = (await repo.get(id))?.hostKeyFingerprint;
        if (!pinned) throw new Error(`${kind} ${name} is gone`);
      }
      if (pinned === presented) return { accepted: true };
      await this.recordMismatch(kind, id, name, pinned, presented);
      return { accepted: false, expected: pinned };
    };
  }

  /** Once per key presented and per quarter hour: a monitor retrying every few seconds does not flood events. */
  private async recordMismatch(kind: string, id: string, name: string, expected: string, presented: string) {
    const key = `${id}|${presented}`;
    const last = this.mismatchesRecorded.get(key) ?? 0;
    if (Date.now() - last < 15 * 60_000) return;
    this.mismatchesRecorded.set(key, Date.now());
    await this.events.record({
      type: 'host.key-mismatch',
      message:
        `${kind} ${name}: SSH host key mismatch, expected ${expected}, the server presented ${presented}; ` +
        'connection refused, no credentials sent',
      ...(kind === 'host' ? { hostId: id } : {}),
      data: { target: kind, [kind === 'host' ? 'hostId' : 'storageBackendId']: id, expected, presented },
    });
  }

  private async closeRemote(r: Remote): Promise<void> {
    for (const f of r.forwards.values()) await (await f.catch(() => null))?.close();
    await r.executor.close();
  }

  private async remote(host: HostEntity): Promise<Remote> {
    // Only what the connection depends on: other edits of the host (its status, its initiator name) must not
    // tear down the session and the port forwards that running jobs use.
    const version = remoteVersion(host);
    const cached = this.remotes.get(host.id);
    if (cached && cached.version === version) return cached;
    if (cached) await this.closeRemote(cached);
    const sealed = await this.hosts.getSealedKey(host.id);
    if (!sealed) throw new HostUnreachable(`host ${host.name} has no SSH key registered`);
    const privateKey = this.secrets.open(sealed);
    const sshHost = host.sshAddress ?? host.address;
    const executor = new SshExecutor(
      {
        host: sshHost,
        port: host.sshPort,
        username: host.sshUser,
        privateKey,
        label: host.name,
      },
      this.hostKeyCheck('host', host.id, host.name),
    );
    const docker = new Docker({
      protocol: 'http',
      host: 'docker',
      port: 2375,
      agent: dockerOverSsh(executor),
    } as Docker.DockerOptions);
    const remote: Remote = {
      version,
      executor,
      runtime: new DockerRuntime(docker, this.auth),
      stats: new DockerStatsReader(docker),
      forwards: new Map(),
    };
    this.remotes.set(host.id, remote);
    return remote;
  }
}
