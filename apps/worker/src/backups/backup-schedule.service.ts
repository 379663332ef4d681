import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { BackupScheduler } from '@app/domain';
import { HeldLock, RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';

const LEADER_LOCK = 'backup-scheduler';

/** Scheduled backups and retention, on one worker replica at a time (the holder of the leader lock). */
@Injectable()
export class BackupSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BackupSchedule.name);
  private timer?: NodeJS.Timeout;
  private leader: HeldLock | null = null;
  private stopped = false;

  constructor(
    @Inject(ENV) private readonly env: WorkerEnv,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly scheduler: BackupScheduler,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.BACKUPS_ENABLED) this.schedule(this.env.BACKUP_SCHEDULER_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.leader?.release();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (!this.leader || !(await this.leader.alive())) {
        this.leader = await this.lock.tryHold(LEADER_LOCK);
        if (!this.leader) return;
      }
      const r = await this.scheduler.tick(this.env.BACKUP_EVERY_MS);
      if (r.started || r.pruned) this.logger.log(`scheduled backups started: ${r.started}, pruned: ${r.pruned}`);
    } catch (err) {
      this.logger.error(`backup schedule: ${(err as Error).stack ?? err}`);
    } finally {
      this.schedule(this.env.BACKUP_SCHEDULER_INTERVAL_MS);
    }
  }
}
