import { withTimeout } from '@app/domain/shared/timeout';
import { createHash } from 'node:crypto';
import Docker from 'dockerode';
import type { ContainerIoLimits, ContainerRuntime, ContainerSpec, ContainerState, ProgressFn } from '@app/domain/ports';
import { demuxDockerLogs, toLines } from './docker-logs';

export interface RegistryAuth {
  serveraddress: string;
  username: string;
  password: string;
}

const SPEC_HASH = 'dbaas.spec-hash';

/**
 * The spec's identity without its env: env only seeds a fresh data directory (passwords then live in the data),
 * so a changed env must not replace a running container; a changed command, image, port, mount, limit, user,
 * capability or network must. Egress is left out: it is shaped and filtered in the running container's network
 * namespace, never by the engine; so is the host's preparation, which is no part of the container.
 */
export function specHash(spec: ContainerSpec): string {
  const { env: _env, labels: _labels, egressMbit: _egress, allowEgress: _allow, prepare: _prepare, ...rest } = spec;
  void [_env, _labels, _egress, _allow, _prepare];
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

const ICC = 'com.docker.network.bridge.enable_icc';

const HOLDER_HASH = 'dbaas.holder-hash';

/**
 * The container that holds an HA database's network (see ContainerSpec.netHolder): `<name>-net`. Docker sets a
 * container's network up at its start (20.10: its `libnetwork-setkey` hook, dockerd run again, and the sandbox):
 * a PostgreSQL start in a lab VM took 5.7-8.7 s with a network of its own, 1.8-2.2 s joining a running holder's
 * namespace. So the holder is started ahead (on the standby host) and the takeover's
 * start joins it.
 */
export const holderName = (name: string): string => `${name}-net`;

/** What the holder's namespace is made of: a change makes a new holder (and a new start of the database in it). */
export function holderHash(spec: ContainerSpec): string {
  const { network, hostIp, hostPort, containerPort } = spec;
  return createHash('sha256')
    .update(JSON.stringify({ network, hostIp, hostPort, containerPort }))
    .digest('hex')
    .slice(0, 16);
}

const MIB = 2 ** 20;

/** Docker's block I/O settings for the limits: the caps only with a device to hold them. */
export function blkioOptions(io: ContainerIoLimits | undefined): {
  BlkioWeight?: number;
  BlkioDeviceReadBps: { Path: string; Rate: number }[];
  BlkioDeviceWriteBps: { Path: string; Rate: number }[];
} {
  const cap = (mbps: number | null | undefined) =>
    io?.device && mbps ? [{ Path: io.device, Rate: Math.round(mbps * MIB) }] : [];
  return {
    ...(io ? { BlkioWeight: io.weight } : {}),
    BlkioDeviceReadBps: cap(io?.readMbps),
    BlkioDeviceWriteBps: cap(io?.writeMbps),
  };
}

const sameCaps = (a: { Path: string; Rate: number }[] | null | undefined, b: { Path: string; Rate: number }[]) =>
  JSON.stringify((a ?? []).map((d) => [d.Path, d.Rate])) === JSON.stringify(b.map((d) => [d.Path, d.Rate]));

const isNotFound = (err: unknown) => (err as { statusCode?: number })?.statusCode === 404;
const isNotModified = (err: unknown) => (err as { statusCode?: number })?.statusCode === 304;
const isConflict = (err: unknown) => (err as { statusCode?: number })?.statusCode === 409;
const message = (err: unknown) =>
  String((err as { json?: { message?: string } })?.json?.message ?? (err as Error)?.message ?? err);
// The labels a tenant's network is made with (see ensureNetwork).
const tenantLabels = (spec: ContainerSpec): Record<string, string> =>
  spec.labels['dbaas.tenant'] ? { 'dbaas.tenant': spec.labels['dbaas.tenant'] } : {};
// Docker 20.10 answers 404 "network … not found" when a container is created on a network that went meanwhile.
const isNetworkGone = (err: unknown) => isNotFound(err) && /network .*not found/i.test(message(err));

/** One host's Docker engine through dockerode (a local socket here; SSH or TLS for remote hosts). */
export class DockerRuntime implements ContainerRuntime {
  constructor(
    private readonly docker: Docker,
    private readonly auth?: RegistryAuth,
  ) {}

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.docker.ping(), timeoutMs, `docker did not answer within ${timeoutMs} ms`);
  }

  async inspect(name: string): Promise<ContainerState | null> {
    return (await this.read(name))?.state ?? null;
  }

  /** The state, and the network mode (a joined container names its holder by id: Docker resolves the name at create). */
  private async read(name: string): Promise<{ state: ContainerState; networkMode: string } | null> {
    try {
      const info = await this.docker.getContainer(name).inspect();
      return {
        state: {
          id: info.Id,
          running: info.State.Running,
          status: info.State.Status,
          labels: info.Config.Labels ?? {},
          restartCount: info.RestartCount,
          pid: info.State.Running ? info.State.Pid : 0,
          // Docker keeps reporting the path after a stop, when it no longer names a namespace.
          netns: info.State.Running ? info.NetworkSettings?.SandboxKey || null : null,
          ioWeight: info.HostConfig?.BlkioWeight ?? 0,
        },
        networkMode: info.HostConfig?.NetworkMode ?? '',
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async ensureImage(image: string, onProgress?: ProgressFn): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const authconfig = this.auth && image.startsWith(this.auth.serveraddress + '/') ? this.auth : undefined;
    const stream = await this.docker.pull(image, { authconfig });
    const layers = new Map<string, { current: number; total: number }>();
    let last = 0;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (evt: {
          id?: string;
          status?: string;
          error?: string;
          progressDetail?: { current?: number; total?: number };
        }) => {
          if (evt.error) return reject(new Error(evt.error));
          if (evt.id && evt.progressDetail?.total) {
            layers.set(evt.id, { current: evt.progressDetail.current ?? 0, total: evt.progressDetail.total });
          }
          const total = [...layers.values()].reduce((a, l) => a + l.total, 0);
          const done = [...layers.values()].reduce((a, l) => a + Math.min(l.current, l.total), 0);
          const pct = total ? Math.floor((100 * done) / total) : 0;
          if (onProgress && pct >= last + 10) {
            last = pct;
            void onProgress(pct, `${pct}% of ${Math.round(total / 2 ** 20)} MiB`);
          }
        },
      );
    });
  }

  async ensureRunning(spec: ContainerSpec): Promise<ContainerState & { created: boolean }> {
    const hash = specHash(spec);
    // Reads apart (the network is usually there already, made ahead by the caller): side by side.
    const [networkId, found, holder] = await Promise.all([
      this.networkOf(spec),
      this.read(spec.name),
      spec.netHolder ? this.inspect(holderName(spec.name)) : null,
    ]);
    let state = found?.state ?? null;
    if (state && state.labels[SPEC_HASH] !== hash) {
      // Same database, different definition (e.g. a rotated Redis password): replace it on the same volume,
      // stopping it cleanly first so the engine flushes its data.
      await this.replaced(spec.name);
      state = null;
    }
    if (spec.netHolder) {
      const held = await this.ensureHolder(spec, networkId, holder, state ? found : null);
      if (held.stale) {
        await this.replaced(spec.name);
        state = null;
      } else if (held.started && state?.running) {
        // It runs in the namespace of a holder that stopped (its published port went with it): started again, in
        // the new one.
        await this.stop(spec.name);
        state = { ...state, running: false };
      }
    }
    // The host is prepared only where no engine runs on it (the volume's owner changes under no open file).
    if (!state?.running) await spec.prepare?.();
    const created = !state && (await this.create(spec, hash, networkId));
    const container = this.docker.getContainer(spec.name);
    try {
      await container.start();
    } catch (err) {
      if (!isNotModified(err)) throw err; // 304: already running
    }
    return { ...(await this.inspect(spec.name))!, created };
  }

  async ensureCreated(spec: ContainerSpec): Promise<'created' | 'present'> {
    const [networkId, found, holder] = await Promise.all([
      this.networkOf(spec),
      this.read(spec.name),
      spec.netHolder ? this.inspect(holderName(spec.name)) : null,
    ]);
    if (found?.state.running) return 'present'; // never touched under a running engine
    let present = !!found;
    // The holder runs ahead: the start then joins its namespace and sets no network up.
    if (spec.netHolder && (await this.ensureHolder(spec, networkId, holder, found)).stale) {
      await this.removeOne(spec.name);
      present = false;
    }
    if (present) return 'present';
    return (await this.create(spec, specHash(spec), networkId)) ? 'created' : 'present';
  }

  /** A container replaced by a new definition: stopped cleanly (the engine flushes its data), then removed. */
  private async replaced(name: string): Promise<void> {
    await this.stop(name);
    await this.removeOne(name);
  }

  /**
   * The holder of the spec's network, running: made (or replaced, when what it publishes changed) and started when
   * it is not. `started`: it was started here, so a database container running in the old namespace must start again.
   * `stale`: the database's container (`db`) joined another holder, since replaced: Docker records the holder by id,
   * so it must be made again to join this one.
   */
  private async ensureHolder(
    spec: ContainerSpec,
    networkId: string | undefined,
    found: ContainerState | null,
    db: { networkMode: string } | null,
  ): Promise<{ started: boolean; stale: boolean }> {
    const name = holderName(spec.name);
    const hash = holderHash(spec);
    let holder = found;
    if (holder && holder.labels[HOLDER_HASH] !== hash) {
      await this.removeOne(name);
      holder = null;
    }
    let started = false;
    if (!holder?.running) {
      if (!holder) await this.createWith(spec, networkId, (id) => this.holderOptions(spec, hash, id));
      try {
        await this.docker.getContainer(name).start();
        started = true;
      } catch (err) {
        // 304: started meanwhile by another attempt.
        if (!isNotModified(err)) throw new Error(`the network holder ${name} did not start: ${message(err)}`);
      }
      holder = await this.inspect(name);
      if (!holder?.running) throw new Error(`the network holder ${name} is not running (${holder?.status ?? 'gone'})`);
    }
    return { started, stale: !!db && db.networkMode !== `container:${holder.id}` };
  }

  /** By id while Docker lets two networks share the name (see ensureNetwork): an ambiguous name breaks a create. */
  private networkOf(spec: ContainerSpec): Promise<string | undefined> {
    return spec.network ? this.ensureNetwork(spec.network, tenantLabels(spec)) : Promise.resolve(undefined);
  }

  /** False when another attempt created it between our inspect and this create (409). */
  private create(spec: ContainerSpec, hash: string, networkId: string | undefined): Promise<boolean> {
    return this.createWith(spec, networkId, (id) => this.createOptions(spec, hash, id));
  }

  private async createWith(
    spec: ContainerSpec,
    networkId: string | undefined,
    options: (networkId: string | undefined) => Docker.ContainerCreateOptions,
  ): Promise<boolean> {
    try {
      await this.docker.createContainer(options(networkId));
      return true;
    } catch (err) {
      if (isNetworkGone(err) && spec.network) {
        // Removed with the tenant's last other database meanwhile: made again, once.
        networkId = await this.ensureNetwork(spec.network, tenantLabels(spec));
        await this.docker.createContainer(options(networkId));
        return true;
      }
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /**
   * The tenant's network, made when missing; returns what to attach containers by: its name, or its id while another
   * network still shares the name. Docker does not keep network names unique (two jobs
   * making it at once both succeed, CheckDuplicate notwithstanding), and a name two networks share can no longer be
   * used ("is ambiguous"): every caller then keeps the same one, the oldest, and removes the others it can (one
   * with containers stays, and containers are then attached by id).
   */
  async ensureNetwork(name: string, labels: Record<string, string> = {}): Promise<string> {
    let found = await this.networksNamed(name);
    if (found.length === 0) {
      const create = () =>
        this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: labels,
          // Not `Internal`: that would end the port publishing too. Outbound traffic is refused per container instead.
          Options: { [ICC]: 'false' },
        });
      try {
        await create().catch(async (err: unknown) => {
          // Docker's address pools are full: the unused networks of this label go (however recently used), once.
          if (!/available, non-overlapping|address pool/i.test(message(err))) throw err;
          const [key] = Object.keys(labels);
          let freed = 0;
          for (const n of key ? await this.networks(key) : [])
            if (n.containers === 0 && (await this.removeUnusedNetwork(n.id))) freed++;
          if (!freed) throw err;
          await create();
        });
      } catch (err) {
        if (!isConflict(err)) throw err; // made meanwhile by another job: the same network
      }
      found = await this.networksNamed(name);
    }
    const [keep, ...others] = found;
    if (!keep) throw new Error(`network ${name} could not be made`);
    let shared = false;
    for (const n of others)
      await this.docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => (shared = true));
    if (keep.Options?.[ICC] !== 'false')
      throw new Error(`network ${name} allows traffic between its containers (${ICC} is not false): remove it`);
    return shared ? keep.Id : name;
  }

  /** The networks named exactly `name` (Docker's filter matches parts of names), oldest first. */
  private async networksNamed(
    name: string,
  ): Promise<{ Id: string; Created: string; Options?: Record<string, string> }[]> {
    // The list carries each network's options: no inspect of the one kept.
    const all = (await this.docker.listNetworks({ filters: { name: [name] } })) as {
      Id: string;
      Name: string;
      Created: string;
      Options?: Record<string, string>;
    }[];
    return all
      .filter((n) => n.Name === name)
      .sort((a, b) =>
        a.Created === b.Created ? (a.Id < b.Id ? -1 : 1) : Date.parse(a.Created) - Date.parse(b.Created),
      );
  }

  async networks(labelKey: string): Promise<{ id: string; name: string; containers: number }[]> {
    const all = (await this.docker.listNetworks({ filters: { label: [labelKey] } })) as { Id: string; Name: string }[];
    const out: { id: string; name: string; containers: number }[] = [];
    for (const n of all) {
      // Every container bound to it, running or not: a standby (created, never started) has no endpoint on it yet,
      // and its start would fail on a network removed under it. One request per network, on the host's session.
      // By name too: a container not started yet may record only the name (its endpoint has no id yet). A name two
      // networks share counts the containers of both: kept, never removed in use.
      const bound = await this.docker.listContainers({ all: true, filters: { network: [n.Name, n.Id] } });
      out.push({ id: n.Id, name: n.Name, containers: bound.length });
    }
    return out;
  }

  async removeUnusedNetwork(id: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(id).remove();
      return true;
    } catch (err) {
      // Gone already, or a container attached meanwhile (403 "has active endpoints"): Docker keeps those.
      if (isNotFound(err) || /active endpoints/i.test(message(err))) return false;
      throw err;
    }
  }

  /**
   * The tenant network's endpoint and the port published on the host: the container's own, or its holder's (the
   * engine joined to a holder has none of its own: Docker refuses them).
   */
  private publishing(spec: ContainerSpec, networkId?: string) {
    const network = networkId ?? spec.network;
    const port = `${spec.containerPort}/tcp`;
    return {
      config: {
        ExposedPorts: { [port]: {} },
        ...(network ? { NetworkingConfig: { EndpointsConfig: { [network]: {} } } } : {}),
      },
      host: {
        ...(network ? { NetworkMode: network } : {}),
        PortBindings: { [port]: [{ HostIp: spec.hostIp, HostPort: String(spec.hostPort) }] },
      },
    };
  }

  private createOptions(spec: ContainerSpec, hash: string, networkId?: string): Docker.ContainerCreateOptions {
    const published = spec.netHolder
      ? { config: {}, host: { NetworkMode: `container:${holderName(spec.name)}` } }
      : this.publishing(spec, networkId);
    return {
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Cmd: spec.cmd,
      Labels: { ...spec.labels, [SPEC_HASH]: hash },
      ...published.config,
      ...(spec.user ? { User: spec.user } : {}),
      HostConfig: {
        // Mounts, not Binds: a missing source is an error instead of an empty directory made on the spot (a
        // data directory whose volume is not mounted must never start a fresh, empty database).
        Mounts: spec.binds.map((b) => ({
          Type: 'bind' as const,
          Source: b.hostPath,
          Target: b.containerPath,
          ...(b.readOnly ? { ReadOnly: true } : {}),
        })),
        ...published.host,
        NanoCpus: Math.round(spec.cpus * 1e9),
        Memory: spec.memoryMb * 2 ** 20,
        MemorySwap: spec.memoryMb * 2 ** 20, // no swap: a database that swaps is worse than one that restarts
        // Docker drops the weight (with a warning) where the kernel has no blkio.weight/io.weight: see ioWeight.
        ...blkioOptions(spec.io),
        PidsLimit: spec.pidsLimit ?? 1024,
        // Every capability dropped but what the engine needs (none when it starts as its own user).
        CapDrop: ['ALL'],
        CapAdd: spec.capAdd ?? [],
        ReadonlyRootfs: spec.readOnlyRoot ?? false,
        ...(spec.tmpfs ? { Tmpfs: spec.tmpfs } : {}),
        ...(spec.ulimits ? { Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
        RestartPolicy: { Name: spec.restartPolicy ?? 'unless-stopped' },
        SecurityOpt: ['no-new-privileges'],
        // Bounded json-file logs: an unbounded log once filled a host's disk (and `logs` stays fast).
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      },
    };
  }

  /**
   * The holder: the engine's image (present already) sleeping as nobody, every capability dropped, read-only, a
   * few MiB; it owns the tenant network's endpoint and the published port. Killed at once when stopped (its sleep
   * has no handler). Like an HA container, never brought back by the engine when its host boots (a fenced host runs
   * nothing until it is let back in): the standby round or the next start starts it.
   */
  private holderOptions(spec: ContainerSpec, hash: string, networkId?: string): Docker.ContainerCreateOptions {
    const published = this.publishing(spec, networkId);
    return {
      name: holderName(spec.name),
      Image: spec.image,
      Entrypoint: ['sleep'],
      Cmd: ['2147483647'],
      User: '65534:65534',
      Labels: { ...tenantLabels(spec), 'dbaas.network-of': spec.name, [HOLDER_HASH]: hash },
      ...published.config,
      StopSignal: 'SIGKILL',
      HostConfig: {
        ...published.host,
        NanoCpus: 0.1e9,
        Memory: 16 * MIB,
        MemorySwap: 16 * MIB,
        PidsLimit: 8,
        CapDrop: ['ALL'],
        ReadonlyRootfs: true,
        RestartPolicy: { Name: 'no' },
        SecurityOpt: ['no-new-privileges'],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    };
  }

  async restart(name: string, timeoutSec = 30): Promise<void> {
    await this.docker.getContainer(name).restart({ t: timeoutSec });
  }

  async stop(name: string, timeoutSec = 30): Promise<void> {
    try {
      await this.docker.getContainer(name).stop({ t: timeoutSec });
    } catch (err) {
      if (!isNotFound(err) && !isNotModified(err)) throw err;
    }
  }

  async pause(name: string): Promise<void> {
    const c = this.docker.getContainer(name);
    // Idempotent: a retried copy may find it paused already.
    if ((await c.inspect()).State.Paused) return;
    await c.pause();
  }

  async unpause(name: string): Promise<void> {
    try {
      const c = this.docker.getContainer(name);
      if ((await c.inspect()).State.Paused) await c.unpause();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The container and its network holder, if any; true when either was there. */
  async remove(name: string): Promise<boolean> {
    // The database's container first: its holder's namespace is never taken from under a running engine.
    const removed = await this.removeOne(name);
    return (await this.removeOne(holderName(name))) || removed;
  }

  private async removeOne(name: string): Promise<boolean> {
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async updateResources(
    name: string,
    res: { cpus: number; memoryMb: number; io?: ContainerIoLimits },
  ): Promise<'updated' | 'recreate'> {
    const c = this.docker.getContainer(name);
    const blkio = blkioOptions(res.io);
    await c.update({
      NanoCpus: Math.round(res.cpus * 1e9),
      Memory: res.memoryMb * 2 ** 20,
      MemorySwap: res.memoryMb * 2 ** 20,
      ...(blkio.BlkioWeight ? { BlkioWeight: blkio.BlkioWeight } : {}),
    });
    if (!res.io) return 'updated';
    // `docker update` changes the weight only: device caps are set when the container is created.
    const host = (await c.inspect()).HostConfig;
    const same =
      sameCaps(host.BlkioDeviceReadBps, blkio.BlkioDeviceReadBps) &&
      sameCaps(host.BlkioDeviceWriteBps, blkio.BlkioDeviceWriteBps);
    return same ? 'updated' : 'recreate';
  }

  async followLogs(name: string, onOutput: () => void): Promise<() => void> {
    try {
      const stream = (await this.docker
        .getContainer(name)
        .logs({ stdout: true, stderr: true, follow: true, tail: 0 })) as unknown as NodeJS.ReadableStream & {
        destroy(): void;
      };
      stream.on('data', () => onOutput());
      stream.on('error', () => undefined);
      return () => stream.destroy();
    } catch {
      return () => undefined;
    }
  }

  async logs(name: string, tail: number): Promise<string[]> {
    try {
      const buf = (await this.docker
        .getContainer(name)
        .logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return toLines(demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }
}
