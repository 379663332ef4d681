import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { BackupScheduler } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { Leadership } from '../leadership/leadership';

/** Scheduled backups and retention, on one worker replica at a time (the holder of the leader lock). */
@Injectable()
export class BackupSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BackupSchedule.name);
  private timer?: NodeJS.Timeout;
  private readonly leadership: Leadership;
  private stopped = false;

  constructor(
    @Inject(ENV) private readonly env: WorkerEnv,
    @Inject(RESOURCE_LOCK) lock: ResourceLock,
    private readonly scheduler: BackupScheduler,
  ) {
    this.leadership = new Leadership(lock, 'backup-scheduler');
  }

  onApplicationBootstrap(): void {
    if (this.env.BACKUPS_ENABLED) this.schedule(this.env.BACKUP_SCHEDULER_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.leadership.release();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (!(await this.leadership.check())) return;
      const r = await this.scheduler.tick(this.env.BACKUP_EVERY_MS);
      if (r.started || r.pruned) this.logger.log(`scheduled backups started: ${r.started}, pruned: ${r.pruned}`);
    } catch (err) {
      this.logger.error(`backup schedule: ${(err as Error).stack ?? err}`);
    } finally {
      this.schedule(this.env.BACKUP_SCHEDULER_INTERVAL_MS);
    }
  }
}
