import { Inject, Injectable } from '@nestjs/common';
import { LUN_REPOSITORY, LunRepository, STORAGE_BACKEND_REPOSITORY, StorageBackendRepository } from '../../../ports';
import { StorageException, StorageExceptionCode } from '../../storage-backend.exception';
import { StorageBackendView, toLunView, toStorageBackendView } from '../../storage-backend.view';

/** A backend with its live LUNs. */
@Injectable()
export class GetStorageBackendUseCase {
  constructor(
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
  ) {}

  async execute(id: string): Promise<StorageBackendView> {
    const b = await this.backends.get(id);
    if (!b) throw new StorageException(StorageExceptionCode.NotFound, 'storage backend not found');
    return { ...toStorageBackendView(b), luns: (await this.luns.listLive({ backendId: id })).map(toLunView) };
  }
}
