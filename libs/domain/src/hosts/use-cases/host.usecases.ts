import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import type { HostEntity } from '@app/persistence/entities';
import { CommonEnv, ENV } from '@app/config';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../../ports';
import { HostException, HostExceptionCode } from '../host.exception';
import { RegisterHostCommand } from './register-host.command';

export type HostView = Omit<HostEntity, 'sshPrivateKey'> & { hasSshKey: boolean; databases?: number };

export const toHostView = (h: HostEntity, hasSshKey: boolean): HostView => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sshPrivateKey, ...rest } = h;
  return { ...rest, hasSshKey };
};

@Injectable()
export class HostUseCases {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv,
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
    const host = await this.hosts.create({
      name: cmd.name,
      address: cmd.address,
      sshAddress: cmd.sshAddress ?? null,
      connection: cmd.connection ?? 'ssh',
      sshPort: cmd.sshPort ?? 22,
      sshUser: cmd.sshUser ?? 'root',
      sshPrivateKey: cmd.sshPrivateKey ? this.secrets.seal(cmd.sshPrivateKey) : null,
      labels: cmd.labels ?? {},
      capacity: { cpus: cmd.capacity.cpus, memoryMb: cmd.capacity.memoryMb, diskGb: cmd.capacity.diskGb },
      storageDriver,
      storageBackendId: cmd.storageBackendId ?? null,
      iscsiInitiator: null,
      dataRoot: cmd.dataRoot ?? this.env.DATA_ROOT,
      status: 'active',
      replicationAddress: cmd.replicationAddress ?? null,
      vipInterface: cmd.vipInterface ?? null,
      fencing: cmd.fencing ?? null,
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
    const [hosts, usage, keyed] = await Promise.all([this.hosts.list(), this.hosts.usage(), this.hosts.idsWithKey()]);
    const counts = new Map(usage.map((u) => [u.hostId, u.databases]));
    return hosts.map((h) => ({ ...toHostView(h, keyed.has(h.id)), databases: counts.get(h.id) ?? 0 }));
  }

  async get(id: string): Promise<HostView> {
    const host = await this.hosts.get(id);
    if (!host) throw new HostException(HostExceptionCode.NotFound, 'host not found');
    const usage = (await this.hosts.usage()).find((u) => u.hostId === id);
    return { ...toHostView(host, !!(await this.hosts.getSealedKey(id))), databases: usage?.databases ?? 0 };
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
