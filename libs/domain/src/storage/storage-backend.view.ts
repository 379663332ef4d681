import type { LunEntity, StorageBackendEntity } from '@app/persistence/entities';

export type StorageBackendView = Omit<StorageBackendEntity, 'sshPrivateKey'> & { luns?: LunView[] };
export type LunView = Omit<LunEntity, 'chapPassword'>;

export const toStorageBackendView = (b: StorageBackendEntity): StorageBackendView => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { sshPrivateKey, ...rest } = b;
  return rest;
};
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export const toLunView = ({ chapPassword, ...rest }: LunEntity): LunView => rest;
