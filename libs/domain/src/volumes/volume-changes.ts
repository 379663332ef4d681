import { Inject, Injectable } from '@nestjs/common';
import {
  StorageDriver,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeChange,
  VolumeMounted,
  VolumeRecorder,
  VolumeRepository,
} from '../ports';

/** The one place that writes to a volume what its storage driver changed (drivers never write the volumes table). */
@Injectable()
export class VolumeChangeRecorder implements VolumeRecorder {
  constructor(@Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository) {}

  async record(volumeId: string, change: VolumeChange): Promise<void> {
    // Only what is set: an absent (undefined) field is no change, a null one clears the column.
    const patch = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as VolumeChange;
    if (Object.keys(patch).length > 0) await this.volumes.update(volumeId, patch);
  }

  async recordSealedDrbdSecretIfNone(volumeId: string, sealed: string): Promise<void> {
    await this.volumes.setSealedDrbdSecretIfNone(volumeId, sealed);
  }
}

/**
 * The StorageDrivers port as the domain uses it: each driver wrapped so that the change its ensure or takeover
 * returns is recorded on the volume before the caller gets the result. Callers keep calling the same methods; every
 * other method (and one a driver lacks) is the driver's own.
 */
export class RecordingStorageDrivers implements StorageDrivers {
  private readonly wrapped = new Map<string, StorageDriver>();

  constructor(
    private readonly drivers: StorageDrivers,
    private readonly recorder: VolumeRecorder,
  ) {}

  get(name: string): StorageDriver {
    let d = this.wrapped.get(name);
    if (!d) {
      d = recordingDriver(this.drivers.get(name), this.recorder);
      this.wrapped.set(name, d);
    }
    return d;
  }

  names(): string[] {
    return this.drivers.names();
  }
}

function recordingDriver(driver: StorageDriver, recorder: VolumeRecorder): StorageDriver {
  const recorded = async (volumeId: string, out: VolumeMounted): Promise<VolumeMounted> => {
    if (out.changed) await recorder.record(volumeId, out.changed);
    return out;
  };
  const own: Partial<StorageDriver> = {
    ensure: async (host, volume) => recorded(volume.id, await driver.ensure(host, volume)),
    ...(driver.takeover
      ? {
          takeover: async (target, volume, opts) => recorded(volume.id, await driver.takeover!(target, volume, opts)),
        }
      : {}),
  };
  // Everything else goes to the driver itself, bound to it (its fields stay its own).
  return new Proxy(driver, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(own, prop)) return own[prop as keyof StorageDriver];
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
