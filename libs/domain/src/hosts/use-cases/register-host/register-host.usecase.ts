import { Inject, Injectable } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import {
  EVENT_REPOSITORY,
  EventRepository,
  FENCER,
  Fencer,
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../../../ports';
import { parseHostKeyFingerprint } from '../../../shared';
import { HostException, HostExceptionCode } from '../../host.exception';
import { HostView, toHostView } from '../../host.view';
import { storedFencing } from '../set-fencing/stored-fencing';
import { RegisterHostCommand } from './register-host.command';

@Injectable()
export class RegisterHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv,
    @Inject(FENCER) private readonly fencer: Fencer,
  ) {}

  async execute(cmd: RegisterHostCommand, actor: string): Promise<HostView> {
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
    const fencing = await storedFencing(this.fencer, this.secrets, cmd.fencing ?? null, null);
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
}
