import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobItem, JobQueue } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { OPERATION_REPOSITORY, OperationRepository } from '../ports';
import { JobTable } from './job-table';
import { jobForOperation } from './operation-jobs';

export interface ReconcileResult {
  requeued: number;
  failed: number;
}

/**
 * Closes the gap between the operation rows (the truth) and Bull (the delivery): an operation whose job was
 * never enqueued (Redis was down) or was lost is enqueued again (the jobId makes a double enqueue harmless);
 * one whose job Bull gave up on without the operation being marked (stall limit reached, the failure could not
 * be recorded) ends failed, with the final-failure policy of a last failed attempt, so its database is not busy
 * for ever. Run by one worker replica at a time (the reconciler's leader), so the policy is applied once.
 */
@Injectable()
export class OperationReconciler {
  private readonly logger = new Logger(OperationReconciler.name);

  constructor(
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    private readonly jobTable: JobTable,
  ) {}

  /** `staleAfterMs`: how old an operation with no job must be before it is enqueued again or given up. */
  async reconcile(staleAfterMs: number): Promise<ReconcileResult> {
    const result: ReconcileResult = { requeued: 0, failed: 0 };
    // Every unfinished one, young or old: a job Bull failed will never run again, whatever the operation's age.
    for (const op of await this.operations.listUnfinished(0)) {
      const item = jobForOperation(op);
      if (!item) continue;
      // A young operation may be between its insert and its enqueue: no job yet is normal.
      const stale = Date.now() - op.createdAt.getTime() > staleAfterMs;
      try {
        const job = await this.jobs.status(op.id);
        if (job.state === 'missing' && stale) {
          this.logger.warn(`operation ${op.id} (${op.type}) is ${op.status} with no job: enqueueing it again`);
          await this.jobs.enqueue(item);
          result.requeued++;
        } else if (job.state === 'failed') {
          const why = job.reason ? `the job queue gave up on it: ${firstLine(job.reason)}` : LOST;
          if (await this.giveUp(op, item, why)) result.failed++;
        } else if (job.state === 'completed') {
          if (await this.giveUp(op, item, 'the job ended without recording a result')) result.failed++;
        } else if (job.state === 'lost' && stale) {
          // Its id is taken by a job that will never run: enqueueing again would be ignored.
          if (await this.giveUp(op, item, LOST)) result.failed++;
        }
      } catch (err) {
        // One operation that cannot be reconciled now does not hold the others back; the next round tries again.
        this.logger.warn(`operation ${op.id} (${op.type}): ${(err as Error).stack ?? err}`);
      }
    }
    return result;
  }

  private async giveUp(op: OperationEntity, item: JobItem, message: string): Promise<boolean> {
    // Its last attempt may have ended it since it was listed.
    const fresh = await this.operations.get(op.id);
    if (!fresh || (fresh.status !== 'queued' && fresh.status !== 'running')) return false;
    this.logger.warn(`operation ${op.id} (${op.type}) was ${op.status} with no job left to run it: ${message}`);
    // The policy first: whoever sees the operation failed then finds its database, failover or backup closed.
    // A policy that throws still lets the operation end: it must not stay in flight for ever.
    await this.jobTable
      .applyFinalFailure(item, message)
      .catch((err) => this.logger.error(`operation ${op.id}: final-failure policy: ${(err as Error).stack ?? err}`));
    return this.operations.failUnfinished(op.id, message);
  }
}

const LOST = 'the job was lost or stalled without recording a result';

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
