import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobItem, JobName, JobQueue } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { OPERATION_REPOSITORY, OperationRepository } from '../ports';

const JOB_FOR: Record<string, JobName> = {
  'create-database': JobName.CreateDatabase,
  'delete-database': JobName.DeleteDatabase,
  'restart-database': JobName.RestartDatabase,
  'rotate-password': JobName.RotatePassword,
  'resize-database': JobName.ResizeDatabase,
  'failover-database': JobName.FailoverDatabase,
  'clone-database': JobName.CreateDatabase,
  'restore-backup': JobName.CreateDatabase,
  'backup-database': JobName.BackupDatabase,
  'move-database': JobName.MoveDatabase,
};

/**
 * Closes the gap between the operation rows (the truth) and Bull (the delivery): an operation whose job was
 * never enqueued (Redis was down) or was lost is enqueued again; the jobId makes a double enqueue harmless.
 */
@Injectable()
export class OperationReconciler {
  private readonly logger = new Logger(OperationReconciler.name);

  constructor(
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {}

  async reconcile(staleAfterMs: number): Promise<number> {
    let requeued = 0;
    for (const op of await this.operations.listUnfinished(staleAfterMs)) {
      if (await this.jobs.isPending(op.id)) continue;
      const item = this.jobFor(op);
      if (!item) continue;
      this.logger.warn(`operation ${op.id} (${op.type}) is ${op.status} with no live job: enqueueing it again`);
      await this.jobs.enqueue(item);
      requeued++;
    }
    return requeued;
  }

  private jobFor(op: OperationEntity): JobItem | null {
    const name = JOB_FOR[op.type];
    if (!name || !op.databaseId) return null;
    const data = { operationId: op.id, databaseId: op.databaseId };
    return name === JobName.ResizeDatabase
      ? { name, data: { ...data, planId: String(op.params.planId) } }
      : ({ name, data } as JobItem);
  }
}
