import { Inject, Injectable } from '@nestjs/common';
import { STORAGE_BACKEND_REPOSITORY, StorageBackendRepository } from '../../../ports';
import { StorageBackendView, toStorageBackendView } from '../../storage-backend.view';

@Injectable()
export class ListStorageBackendsUseCase {
  constructor(@Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository) {}

  async execute(): Promise<StorageBackendView[]> {
    return (await this.backends.list()).map(toStorageBackendView);
  }
}
