import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import type { FencingConfig, HostEntity } from '@app/persistence/entities';
import { CommonEnv, ENV } from '@app/config';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FENCER,
  Fencer,
  FLEET_QUERIES,
  FleetQueries,
  HOST_REPOSITORY,
  HostRepository,
  LUN_REPOSITORY,
  LunRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { HostException, HostExceptionCode } from '../host.exception';
import { HostChecks, hostChecks } from '../host-checks';
import { parseHostKeyFingerprint } from '../../shared';
import { fencingView, sealFencing, type FencingInput, type FencingView } from '../fencing';
import { RegisterHostCommand, SetFencingCommand, SetHostKeyCommand } from './register-host.command';

export type HostView = Omit<HostEntity, 'sshPrivateKey' | 'fencing'> & {
  hasSshKey: boolean;
  /** The fence agent and its parameters, secret ones as "***". */
  fencing: FencingView | null;
  /** SSH and Docker as last checked, `unknown` when not known (the raw record is `health`). */
  checks: HostChecks;
  databases?: number;
  luns?: number;
};

/** One host in depth, for the console: what runs there, what is attached, what is promised. */
export type HostDetailView = HostView & {
  placed: {
    id: string;
    name: string;
    tenantId: string;
    tenantName: string | null;
    engine: string;
    status: string;
    ha: string;
  }[];
  attachedLuns: {
    id: string;
    name: string;
    iqn: string;
    sizeGb: number;
    hostVg: string;
    backendId: string;
    status: string;
    databaseId: string | null;
  }[];
  usage: { cpus: number; memoryMb: number; diskGb: number };
};

export const toHostView = (h: HostEntity, hasSshKey: boolean): HostView => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sshPrivateKey, fencing, ...rest } = h;
  return { ...rest, fencing: fencingView(fencing), hasSshKey, checks: hostChecks(h) };
};

@Injectable()
export class HostUseCases {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv,
    @Inject(FENCER) private readonly fencer: Fencer,
  ) {}

  async register(cmd: RegisterHostCommand, actor: string): Promise<HostView> {
    if (await this.hosts.findByName(cmd.name)) {
      throw new HostException(HostExceptionCode.NameTaken, `a host named "${cmd.name}" already exists`);
    }
    const storageDriver = cmd.storageDriver ?? 'directory';
    if (storageDriver === 'san-lvm' && !cmd.storageBackendId) {
      throw new HostException(HostExceptionCode.UnknownDriver, 'storageDriver san-lvm needs a storageBackendId');
    }
    if (cmd.storageBackendId && !(await this.backends.get(cmd.storageBackendId))) {
      throw new HostException(HostExceptionCode.UnknownDriver, 'storageBackendId names no storage backend');
    }
    const fencing = await this.storedFencing(cmd.fencing ?? null, null);
    const host = await this.hosts.create({
      name: cmd.name,
      address: cmd.address,
      sshAddress: cmd.sshAddress ?? null,
      connection: cmd.connection ?? 'ssh',
      sshPort: cmd.sshPort ?? 22,
      sshUser: cmd.sshUser ?? 'root',
      sshPrivateKey: cmd.sshPrivateKey ? this.secrets.seal(cmd.sshPrivateKey) : null,
      hostKeyFingerprint: cmd.hostKeyFingerprint ? parseHostKeyFingerprint(cmd.hostKeyFingerprint) : null,
      hostKeyPinnedBy: cmd.hostKeyFingerprint ? 'operator' : null,
      labels: cmd.labels ?? {},
      capacity: { cpus: cmd.capacity.cpus, memoryMb: cmd.capacity.memoryMb, diskGb: cmd.capacity.diskGb },
      storageDriver,
      storageBackendId: cmd.storageBackendId ?? null,
      iscsiInitiator: null,
      dataRoot: cmd.dataRoot ?? this.env.DATA_ROOT,
      status: 'active',
      replicationAddress: cmd.replicationAddress ?? null,
      vipInterface: cmd.vipInterface ?? null,
      fencing,
      health: null,
      statusReason: null,
    });
    await this.events.record({
      type: 'host.registered',
      message: `host ${host.name} (${host.address}) registered by ${actor}`,
      hostId: host.id,
    });
    return toHostView(host, !!cmd.sshPrivateKey);
  }

  async list(): Promise<HostView[]> {
    const [hosts, inventory, keyed] = await Promise.all([
      this.hosts.list(),
      this.fleet.hostInventory(),
      this.hosts.idsWithKey(),
    ]);
    return hosts.map((h) => ({
      ...toHostView(h, keyed.has(h.id)),
      databases: inventory.get(h.id)?.databases ?? 0,
      luns: inventory.get(h.id)?.luns ?? 0,
    }));
  }

  async get(id: string): Promise<HostDetailView> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const [usage, key, placed, luns, volumes] = await Promise.all([
      this.hosts.usage(),
      this.hosts.getSealedKey(id),
      this.databases.list({ hostId: id }),
      this.luns.listLive({ hostId: id }),
      this.volumes.listLive(),
    ]);
    const dbOfLun = new Map(volumes.filter((v) => v.lunId).map((v) => [v.lunId!, v.databaseId]));
    const used = usage.find((u) => u.hostId === id);
    const tenants = await this.fleet.tenantNames([...new Set(placed.map((d) => d.tenantId))]);
    return {
      ...toHostView(host, !!key),
      databases: placed.length,
      luns: luns.length,
      placed: placed.map((d) => ({
        id: d.id,
        name: d.name,
        tenantId: d.tenantId,
        tenantName: tenants.get(d.tenantId) ?? null,
        engine: d.engine,
        status: d.status,
        ha: d.ha,
      })),
      attachedLuns: luns.map((l) => ({
        id: l.id,
        name: l.name,
        iqn: l.iqn,
        sizeGb: l.sizeGb,
        hostVg: l.hostVg,
        backendId: l.backendId,
        status: l.status,
        databaseId: dbOfLun.get(l.id) ?? null,
      })),
      usage: { cpus: used?.cpus ?? 0, memoryMb: used?.memoryMb ?? 0, diskGb: used?.diskGb ?? 0 },
    };
  }

  /** The operator confirms the key recorded on first contact, or replaces it (a host reinstalled, its key rotated). */
  async setHostKey(id: string, cmd: SetHostKeyCommand, actor: string): Promise<HostView> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const fingerprint = parseHostKeyFingerprint(cmd.hostKeyFingerprint)!;
    await this.hosts.pinHostKey(id, fingerprint, false);
    await this.events.record({
      type: 'host.key-pinned',
      message: `host ${host.name}: SSH host key ${fingerprint} pinned by ${actor} (was ${host.hostKeyFingerprint ?? 'none'})`,
      hostId: id,
      data: { previous: host.hostKeyFingerprint, fingerprint },
    });
    const updated = (await this.hosts.get(id))!;
    return toHostView(updated, !!(await this.hosts.getSealedKey(id)));
  }

  /** Replaces the host's fencing, with the rules of registration. */
  async setFencing(id: string, cmd: SetFencingCommand, actor: string): Promise<HostView> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const fencing = await this.storedFencing(cmd.fencing, host.fencing);
    await this.hosts.update(id, { fencing });
    // The agent's name only: its parameters may name devices and accounts.
    const what = fencing?.driver === 'agent' ? `agent ${fencing.agent}` : (fencing?.driver ?? 'none');
    await this.events.record({
      type: 'host.fencing-set',
      message: `host ${host.name}: fencing set to ${what} by ${actor}`,
      hostId: id,
    });
    const updated = (await this.hosts.get(id))!;
    return toHostView(updated, !!(await this.hosts.getSealedKey(id)));
  }

  /** Checks the agent against the allow-list (the control plane's directory, read now) and seals the secrets. */
  private async storedFencing(input: FencingInput | null, previous: FencingConfig | null) {
    if (input?.driver === 'agent') {
      const problem = await this.fencer.checkAgent(input.agent);
      if (problem) throw new HostException(HostExceptionCode.BadFencing, problem);
    }
    return sealFencing(input, this.secrets, previous);
  }

  async remove(id: string, actor: string): Promise<void> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const live = await this.databases.list({ hostId: id });
    if (live.length > 0) {
      throw new HostException(
        HostExceptionCode.InUse,
        `host ${host.name} still carries ${live.length} database(s); evacuate it first`,
      );
    }
    await this.hosts.delete(id);
    await this.events.record({ type: 'host.removed', message: `host ${host.name} removed by ${actor}` });
  }

  /** The embedded default: this machine's Docker engine, with directory volumes under DATA_ROOT. Idempotent. */
  async ensureLocalHost(address: string): Promise<HostEntity> {
    const existing = await this.hosts.findByName('local');
    if (existing) return existing;
    let diskGb = 100;
    try {
      const fs = statfsSync('/');
      diskGb = Math.floor((fs.blocks * fs.bsize) / 2 ** 30);
    } catch {
      // keep the default
    }
    return this.hosts.create({
      name: 'local',
      address,
      sshAddress: null,
      connection: 'local',
      sshPort: 22,
      sshUser: 'root',
      sshPrivateKey: null,
      hostKeyFingerprint: null,
      hostKeyPinnedBy: null,
      labels: { hypervisor: 'local' },
      capacity: { cpus: cpus().length, memoryMb: Math.floor(totalmem() / 2 ** 20), diskGb },
      storageDriver: 'directory',
      storageBackendId: null,
      iscsiInitiator: null,
      dataRoot: this.env.DATA_ROOT,
      status: 'active',
      replicationAddress: null,
      vipInterface: null,
      fencing: null,
      health: null,
      statusReason: null,
    });
  }
}
