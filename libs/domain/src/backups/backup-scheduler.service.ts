import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  PLAN_REPOSITORY,
  PlanRepository,
} from '../ports';
import { BackupTargets } from './backup-target.service';
import { backupsToPrune } from './retention';
import { TakeBackupUseCase } from './use-cases/take-backup/take-backup.usecase';

/**
 * Scheduled backups and their retention, one pass per tick (the worker runs it on its leader only): a backup of
 * every running database whose plan keeps backups and whose last scheduled one is older than `everyMs`; then the
 * plan's retention applied to each database's scheduled backups, and backups past their expiry (those of
 * deleted databases) removed.
 */
@Injectable()
export class BackupScheduler {
  private readonly logger = new Logger(BackupScheduler.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    private readonly take: TakeBackupUseCase,
    private readonly targets: BackupTargets,
  ) {}

  async tick(everyMs: number, now = new Date()): Promise<{ started: number; pruned: number }> {
    const plans = new Map((await this.plans.list()).map((p) => [p.id, p]));
    const last = await this.backups.lastScheduled();
    let started = 0;
    for (const db of await this.databases.list({ status: 'running' })) {
      const plan = plans.get(db.planId);
      if (!plan || plan.backupDaily + plan.backupWeekly === 0) continue;
      // The first one comes a period after the database was created, like every later one after the last.
      const at = last.get(db.id) ?? db.createdAt;
      if (now.getTime() - at.getTime() < everyMs) continue;
      try {
        await this.take.start(db, 'scheduled');
        started++;
      } catch (err) {
        // Busy with another operation: the next tick tries again.
        this.logger.debug(`scheduled backup of ${db.id} deferred: ${(err as Error).message}`);
      }
    }
    return { started, pruned: await this.prune(now, plans) };
  }

  async prune(now = new Date(), plans?: Map<string, { backupDaily: number; backupWeekly: number }>): Promise<number> {
    plans ??= new Map((await this.plans.list()).map((p) => [p.id, p]));
    let pruned = 0;
    const drop = async (b: { id: string; target: string; path: string }) => {
      try {
        await this.targets.remove(b);
        await this.backups.markDeleted(b.id);
        pruned++;
      } catch (err) {
        this.logger.warn(`backup ${b.id} not removed yet: ${(err as Error).message}`);
      }
    };
    for (const b of await this.backups.listExpired(now)) await drop(b);
    for (const databaseId of await this.backups.databasesWithBackups()) {
      const db = await this.databases.get(databaseId);
      const plan = db ? plans.get(db.planId) : undefined;
      if (!plan) continue;
      const scheduled = await this.backups.listScheduled(databaseId);
      for (const b of backupsToPrune(scheduled, plan.backupDaily, plan.backupWeekly, now)) await drop(b);
    }
    return pruned;
  }
}
