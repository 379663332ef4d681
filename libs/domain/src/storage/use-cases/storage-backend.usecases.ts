import { Inject, Injectable } from '@nestjs/common';
import type { LunEntity, StorageBackendEntity } from '@app/persistence/entities';
import { DomainException, ErrorKind } from '../../errors';
import {
  EVENT_REPOSITORY,
  EventRepository,
  LUN_REPOSITORY,
  LunRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
} from '../../ports';
import { parseHostKeyFingerprint } from '../../shared';
import { SetHostKeyCommand } from '../../hosts/use-cases/register-host.command';
import { RegisterStorageBackendCommand } from './register-storage-backend.command';

export enum StorageExceptionCode {
  NotFound = 'storage-backend-not-found',
  NameTaken = 'storage-backend-name-taken',
}

export class StorageException extends DomainException<StorageExceptionCode> {
  get kind(): ErrorKind {
    return this.code === StorageExceptionCode.NotFound ? ErrorKind.NotFound : ErrorKind.Conflict;
  }
}

export type StorageBackendView = Omit<StorageBackendEntity, 'sshPrivateKey'> & { luns?: LunView[] };
export type LunView = Omit<LunEntity, 'chapPassword'>;

const view = (b: StorageBackendEntity): StorageBackendView => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sshPrivateKey, ...rest } = b;
  return rest;
};
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const lunView = ({ chapPassword, ...rest }: LunEntity): LunView => rest;

@Injectable()
export class StorageBackendUseCases {
  constructor(
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
  ) {}

  async register(cmd: RegisterStorageBackendCommand, actor: string): Promise<StorageBackendView> {
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
    return view(b);
  }

  /** The operator confirms the key recorded on first contact, or replaces it. */
  async setHostKey(id: string, cmd: SetHostKeyCommand, actor: string): Promise<StorageBackendView> {
    const b = await this.backends.get(id);
    if (!b) throw new StorageException(StorageExceptionCode.NotFound, 'storage backend not found');
    const fingerprint = parseHostKeyFingerprint(cmd.hostKeyFingerprint)!;
    await this.backends.pinHostKey(id, fingerprint, false);
    await this.events.record({
      type: 'storage-backend.key-pinned',
      message: `storage backend ${b.name}: SSH host key ${fingerprint} pinned by ${actor} (was ${b.hostKeyFingerprint ?? 'none'})`,
      data: { storageBackendId: id, previous: b.hostKeyFingerprint, fingerprint },
    });
    return view((await this.backends.get(id))!);
  }

  async list(): Promise<StorageBackendView[]> {
    return (await this.backends.list()).map(view);
  }

  async get(id: string): Promise<StorageBackendView> {
    const b = await this.backends.get(id);
    if (!b) throw new StorageException(StorageExceptionCode.NotFound, 'storage backend not found');
    return { ...view(b), luns: (await this.luns.listLive({ backendId: id })).map(lunView) };
  }
}
