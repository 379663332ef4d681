import { Inject, Injectable, Logger } from '@nestjs/common';
import type { VolumeEntity } from '@app/persistence/entities';
import {
  HOST_REPOSITORY,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../../ports';
import { VolumeQuotaService } from '../../volume-quota.service';

/**
 * Measures every live volume with its driver and records the bytes used (shown on the database); volumes without a
 * size of their own (directories) are put under their filesystem's quota where it has them, and judged against
 * their size (VolumeQuotaService).
 */
@Injectable()
export class MeasureVolumesUseCase {
  private readonly logger = new Logger(MeasureVolumesUseCase.name);

  constructor(
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly quota: VolumeQuotaService,
  ) {}

  async execute(): Promise<number> {
    const hosts = new Map((await this.hosts.list()).map((h) => [h.id, h]));
    let measured = 0;
    for (const volume of await this.volumes.listLive()) {
      const host = hosts.get(volume.hostId);
      if (!host || !volume.path || host.status !== 'active') continue;
      try {
        const driver = this.storage.get(volume.driver);
        const patch: Partial<VolumeEntity> = {};
        if (driver.holdSize) patch.quotaEnforcedBy = await driver.holdSize(host, volume);
        patch.usedBytes = (await driver.usage(host, volume)).usedBytes;
        await this.volumes.update(volume.id, patch);
        measured++;
        await this.quota.judge(host, volume, patch.usedBytes);
      } catch (err) {
        // A volume being created or removed right now; the next round measures it.
        this.logger.debug(`volume ${volume.id}: ${(err as Error).message}`);
      }
    }
    return measured;
  }
}
