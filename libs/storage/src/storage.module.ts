import { Global, Injectable, Module } from '@nestjs/common';
import { STORAGE_DRIVERS, StorageDriver, StorageDrivers } from '@app/domain/ports';
import { DirectoryStorageDriver } from './directory/directory.driver';

@Injectable()
export class StorageDriverRegistry implements StorageDrivers {
  private readonly drivers: Map<string, StorageDriver>;

  constructor(directory: DirectoryStorageDriver) {
    this.drivers = new Map([[directory.name, directory]]);
  }

  get(name: string): StorageDriver {
    const d = this.drivers.get(name);
    if (!d) throw new Error(`unknown storage driver "${name}"`);
    return d;
  }

  names(): string[] {
    return [...this.drivers.keys()];
  }
}

@Global()
@Module({
  providers: [
    DirectoryStorageDriver,
    StorageDriverRegistry,
    { provide: STORAGE_DRIVERS, useExisting: StorageDriverRegistry },
  ],
  exports: [STORAGE_DRIVERS],
})
export class StorageModule {}
