import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { BackupScheduler } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/** Scheduled backups and retention, on one worker replica at a time (the holder of the leader lock). */
@Injectable()
export class BackupSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BackupSchedule.name);
  private readonly loop: LeaderLoop;

  constructor(
    @Inject(ENV) private readonly env: WorkerEnv,
    @Inject(RESOURCE_LOCK) lock: ResourceLock,
    private readonly scheduler: BackupScheduler,
  ) {
    this.loop = new LeaderLoop(
      lock,
      'backup-scheduler',
      env.BACKUP_SCHEDULER_INTERVAL_MS,
      async () => {
        const r = await this.scheduler.tick(this.env.BACKUP_EVERY_MS);
        if (r.started || r.pruned) this.logger.log(`scheduled backups started: ${r.started}, pruned: ${r.pruned}`);
      },
      (err) => this.logger.error(`backup schedule: ${(err as Error).stack ?? err}`),
    );
  }

  onApplicationBootstrap(): void {
    if (this.env.BACKUPS_ENABLED) this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
