import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobQueue } from '@app/jobs';
import { OPERATION_REPOSITORY, OperationRepository } from '../ports';
import { jobForOperation } from './operation-jobs';

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
      const item = jobForOperation(op);
      if (!item) continue;
      this.logger.warn(`operation ${op.id} (${op.type}) is ${op.status} with no live job: enqueueing it again`);
      await this.jobs.enqueue(item);
      requeued++;
    }
    return requeued;
  }
}
