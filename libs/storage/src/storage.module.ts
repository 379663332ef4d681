import { Global, Injectable, Module } from '@nestjs/common';
import {
  STORAGE_DRIVERS,
  StorageDriver,
  StorageDrivers,
  TREE_SYNC,
  VOLUME_RECORDER,
  VolumeRecorder,
} from '@app/domain/ports';
import { RecordingStorageDrivers, VolumeChangeRecorder } from '@app/domain/volumes/volume-changes';
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
    { provide: VOLUME_RECORDER, useClass: VolumeChangeRecorder },
    // What the drivers return about their volumes is recorded by the domain, in one place, for every caller.
    {
      provide: STORAGE_DRIVERS,
      useFactory: (drivers: StorageDriverRegistry, recorder: VolumeRecorder) =>
        new RecordingStorageDrivers(drivers, recorder),
      inject: [StorageDriverRegistry, VOLUME_RECORDER],
    },
    { provide: TREE_SYNC, useValue: treeSync },
  ],
  exports: [STORAGE_DRIVERS, TREE_SYNC],
})
export class StorageModule {}
