import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_REPOSITORY,
  EventRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../../../ports';
import { parseHostKeyFingerprint } from '../../../shared';
import { StorageException, StorageExceptionCode } from '../../storage-backend.exception';
import { StorageBackendView, toStorageBackendView } from '../../storage-backend.view';
import { RegisterStorageBackendCommand } from './register-storage-backend.command';

@Injectable()
export class RegisterStorageBackendUseCase {
  constructor(
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
  ) {}

  async execute(cmd: RegisterStorageBackendCommand, actor: string): Promise<StorageBackendView> {
    if (await this.backends.findByName(cmd.name)) {
      throw new StorageException(
        StorageExceptionCode.NameTaken,
        `a storage backend named "${cmd.name}" already exists`,
      );
    }
    const b = await this.backends.create({
      name: cmd.name,
      kind: 'iscsi-lvm',
      portalAddress: cmd.portalAddress,
      portalPort: cmd.portalPort ?? 3260,
      sshAddress: cmd.sshAddress,
      sshPort: cmd.sshPort ?? 22,
      sshUser: cmd.sshUser ?? 'root',
      sshPrivateKey: this.secrets.seal(cmd.sshPrivateKey),
      hostKeyFingerprint: cmd.hostKeyFingerprint ? parseHostKeyFingerprint(cmd.hostKeyFingerprint) : null,
      hostKeyPinnedBy: cmd.hostKeyFingerprint ? 'operator' : null,
      volumeGroup: cmd.volumeGroup,
      thinPool: cmd.thinPool ?? null,
      iqnPrefix: cmd.iqnPrefix ?? `iqn.2026-11.io.dbaas.${cmd.name.replace(/[^a-z0-9]/g, '')}`,
      lunSizeGb: cmd.lunSizeGb ?? 20,
    });
    await this.events.record({
      type: 'storage-backend.registered',
      message: `storage backend ${b.name} registered by ${actor}`,
    });
    return toStorageBackendView(b);
  }
}
