import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { DatabaseRuntime } from '../databases/runtime/database-runtime.service';
import { databaseLockKey } from '../operations/operation-runner';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  RESOURCE_LOCK,
  ResourceLock,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { nextQuotaState, quotaEvent, QuotaState } from './quota';

const GIB = 2 ** 30;

/**
 * Holds a directory volume to its size from its measurement: warns at 80 % and 90 % (one event per crossing), makes
 * the database read-only at 100 % and writable again once it is back under (data freed, or a bigger plan). The
 * state is recorded only once the engine applied it, so a failure is retried at the next round; read-only is applied
 * again at every round (an engine restarted outside the platform forgets it).
 */
@Injectable()
export class VolumeQuotaService {
  private readonly logger = new Logger(VolumeQuotaService.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  /** Judges one measured volume; never throws (the next round tries again). */
  async judge(host: HostEntity, volume: VolumeEntity, usedBytes: number): Promise<void> {
    // SAN and DRBD volumes have a size of their own (a block device); a move's copy is not the database's yet.
    if (volume.driver !== 'directory' || volume.incoming) return;
    try {
      await this.judgeVolume(host, volume, usedBytes);
    } catch (err) {
      this.logger.warn(`quota of volume ${volume.id}: ${(err as Error).message}`);
    }
  }

  private async judgeVolume(host: HostEntity, volume: VolumeEntity, usedBytes: number): Promise<void> {
    const limitBytes = volume.sizeGb * GIB;
    const prev = volume.quotaState;
    const next = nextQuotaState(prev, usedBytes, limitBytes);
    // Read-only is asserted at every round; writable once on the way out of it (and for a volume never judged: a
    // copy of a read-only database's data, e.g. a clone, carries the source's state).
    const engineToo = next === 'read-only' || prev === 'read-only' || prev === null;
    if (engineToo && !(await this.applyToEngine(host, volume, next === 'read-only'))) return;
    const now = new Date();
    await this.volumes.update(volume.id, {
      quotaState: next,
      quotaCheckedAt: now,
      ...(next !== prev ? { quotaChangedAt: now } : {}),
    });
    if (next === prev || (prev === null && next === 'ok')) return;
    await this.record(volume, prev, next, usedBytes, limitBytes);
  }

  /**
   * Under the database's lock (a job on it waits, and one running now makes this round skip it). False when it
   * could not be applied now: the state is then left as it was.
   */
  private async applyToEngine(host: HostEntity, volume: VolumeEntity, readOnly: boolean): Promise<boolean> {
    const held = await this.lock.tryHold(databaseLockKey(volume.databaseId));
    if (!held) return false;
    try {
      // Read again under the lock: a job that just ended may have moved it, or it may be on its way out.
      const db = await this.databases.get(volume.databaseId);
      if (db?.status !== 'running' || db.hostId !== host.id) return false;
      const l = await this.dbRuntime.loadLive(db.id, ['running']);
      if (l.volume.id !== volume.id) return false;
      await this.dbRuntime.setReadOnly(l, readOnly);
      return true;
    } catch (err) {
      this.logger.warn(
        `database ${volume.databaseId}: ${readOnly ? 'read-only' : 'writable'} not applied: ${(err as Error).message}`,
      );
      return false;
    } finally {
      await held.release();
    }
  }

  private async record(
    volume: VolumeEntity,
    prev: QuotaState | null,
    next: QuotaState,
    usedBytes: number,
    limitBytes: number,
  ): Promise<void> {
    const db = await this.databases.get(volume.databaseId);
    const { type, message } = quotaEvent(prev, next, usedBytes, limitBytes);
    await this.events.record({
      type,
      message,
      tenantId: db?.tenantId ?? null,
      databaseId: volume.databaseId,
      hostId: volume.hostId,
      data: { from: prev, to: next, usedBytes, limitBytes, ratio: Math.round((usedBytes / limitBytes) * 1000) / 1000 },
    });
  }
}
