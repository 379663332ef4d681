import { Global, Injectable, Module } from '@nestjs/common';
import { STORAGE_DRIVERS, StorageDriver, StorageDrivers, TREE_SYNC } from '@app/domain/ports';
import { DirectoryStorageDriver } from './directory/directory.driver';
import { DrbdStorageDriver } from './drbd/drbd.driver';
import { SanLvmStorageDriver } from './san-lvm/san-lvm.driver';
import { treeSync } from './sync/tree-sync.adapter';

@Injectable()
export class StorageDriverRegistry implements StorageDrivers {
  private readonly drivers: Map<string, StorageDriver>;

  constructor(directory: DirectoryStorageDriver, san: SanLvmStorageDriver, drbd: DrbdStorageDriver) {
    this.drivers = new Map<string, StorageDriver>([
      [directory.name, directory],
      [san.name, san],
      [drbd.name, drbd],
    ]);
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
    SanLvmStorageDriver,
    DrbdStorageDriver,
    StorageDriverRegistry,
    { provide: STORAGE_DRIVERS, useExisting: StorageDriverRegistry },
    { provide: TREE_SYNC, useValue: treeSync },
  ],
  exports: [STORAGE_DRIVERS, TREE_SYNC],
})
export class StorageModule {}
