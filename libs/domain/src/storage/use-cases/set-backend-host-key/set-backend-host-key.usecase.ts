import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_REPOSITORY,
  EventRepository,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../../../ports';
import { parseHostKeyFingerprint } from '../../../shared';
import { StorageException, StorageExceptionCode } from '../../storage-backend.exception';
import { StorageBackendView, toStorageBackendView } from '../../storage-backend.view';
import { SetBackendHostKeyCommand } from './set-backend-host-key.command';

/** The operator confirms the key recorded on first contact, or replaces it. */
@Injectable()
export class SetBackendHostKeyUseCase {
  constructor(
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(cmd: SetBackendHostKeyCommand, actor: string): Promise<StorageBackendView> {
    const id = cmd.storageBackendId;
    const b = await this.backends.get(id);
    if (!b) throw new StorageException(StorageExceptionCode.NotFound, 'storage backend not found');
    const fingerprint = parseHostKeyFingerprint(cmd.hostKeyFingerprint)!;
    await this.backends.pinHostKey(id, fingerprint, false);
    await this.events.record({
      type: 'storage-backend.key-pinned',
      message: `storage backend ${b.name}: SSH host key ${fingerprint} pinned by ${actor} (was ${b.hostKeyFingerprint ?? 'none'})`,
      data: { storageBackendId: id, previous: b.hostKeyFingerprint, fingerprint },
    });
    return toStorageBackendView((await this.backends.get(id))!);
  }
}
