import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  HOST_REPOSITORY,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';

/** Measures every live volume with its driver and records the bytes used (shown on the database). */
@Injectable()
export class MeasureVolumesUseCase {
  private readonly logger = new Logger(MeasureVolumesUseCase.name);

  constructor(
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
  ) {}

  async execute(): Promise<number> {
    const hosts = new Map((await this.hosts.list()).map((h) => [h.id, h]));
    let measured = 0;
    for (const volume of await this.volumes.listLive()) {
      const host = hosts.get(volume.hostId);
      if (!host || !volume.path || host.status !== 'active') continue;
      try {
        const { usedBytes } = await this.storage.get(volume.driver).usage(host, volume);
        await this.volumes.update(volume.id, { usedBytes });
        measured++;
      } catch (err) {
        // A volume being created or removed right now; the next round measures it.
        this.logger.debug(`volume ${volume.id}: ${(err as Error).message}`);
      }
    }
    return measured;
  }
}
