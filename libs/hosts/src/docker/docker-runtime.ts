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
    try {
      const info = await this.docker.getContainer(name).inspect();
      return {
        id: info.Id,
        running: info.State.Running,
        status: info.State.Status,
        labels: info.Config.Labels ?? {},
        restartCount: info.RestartCount,
        pid: info.State.Running ? info.State.Pid : 0,
        // Docker keeps reporting the path after a stop, when it no longer names a namespace.
        netns: info.State.Running ? info.NetworkSettings?.SandboxKey || null : null,
        ioWeight: info.HostConfig?.BlkioWeight ?? 0,
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
    // Two reads apart (the network is usually there already, made ahead by the caller): side by side.
    const [networkId, found] = await Promise.all([this.networkOf(spec), this.inspect(spec.name)]);
    let state = found;
    if (state && state.labels[SPEC_HASH] !== hash) {
      // Same database, different definition (e.g. a rotated Redis password): replace it on the same volume,
      // stopping it cleanly first so the engine flushes its data.
      await this.stop(spec.name);
      await this.remove(spec.name);
      state = null;
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
    const [networkId, state] = await Promise.all([this.networkOf(spec), this.inspect(spec.name)]);
    if (state) return 'present';
    return (await this.create(spec, specHash(spec), networkId)) ? 'created' : 'present';
  }

  /** By id while Docker lets two networks share the name (see ensureNetwork): an ambiguous name breaks a create. */
  private networkOf(spec: ContainerSpec): Promise<string | undefined> {
    return spec.network ? this.ensureNetwork(spec.network, tenantLabels(spec)) : Promise.resolve(undefined);
  }

  /** False when another attempt created it between our inspect and this create (409). */
  private async create(spec: ContainerSpec, hash: string, networkId: string | undefined): Promise<boolean> {
    try {
      await this.docker.createContainer(this.createOptions(spec, hash, networkId));
      return true;
    } catch (err) {
      if (isNetworkGone(err) && spec.network) {
        // Removed with the tenant's last other database meanwhile: made again, once.
        networkId = await this.ensureNetwork(spec.network, tenantLabels(spec));
        await this.docker.createContainer(this.createOptions(spec, hash, networkId));
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

  private createOptions(spec: ContainerSpec, hash: string, networkId?: string): Docker.ContainerCreateOptions {
    const network = networkId ?? spec.network;
    const port = `${spec.containerPort}/tcp`;
    return {
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Cmd: spec.cmd,
      Labels: { ...spec.labels, [SPEC_HASH]: hash },
      ExposedPorts: { [port]: {} },
      ...(spec.user ? { User: spec.user } : {}),
      ...(network ? { NetworkingConfig: { EndpointsConfig: { [network]: {} } } } : {}),
      HostConfig: {
        // Mounts, not Binds: a missing source is an error instead of an empty directory made on the spot (a
        // data directory whose volume is not mounted must never start a fresh, empty database).
        Mounts: spec.binds.map((b) => ({
          Type: 'bind' as const,
          Source: b.hostPath,
          Target: b.containerPath,
          ...(b.readOnly ? { ReadOnly: true } : {}),
        })),
        ...(network ? { NetworkMode: network } : {}),
        PortBindings: { [port]: [{ HostIp: spec.hostIp, HostPort: String(spec.hostPort) }] },
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

  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
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
