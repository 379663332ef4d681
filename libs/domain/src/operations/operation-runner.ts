import { Inject, Injectable, Logger } from '@nestjs/common';
import { OPERATION_REPOSITORY, OperationRepository, RESOURCE_LOCK, ResourceLock } from '../ports';
import { OperationCancelled, OperationContext, readableError, StepFailed } from './operation-context';

export interface JobRun {
  operationId: string;
  databaseId: string;
  attempt: number; // 1-based
  maxAttempts: number;
  /** Tells the queue not to retry this job (a permanent failure ends the operation at once). */
  discard?: () => unknown;
}

/** The lock a job holds on its database while it runs: whoever else changes the database's container takes it too. */
export const databaseLockKey = (databaseId: string) => `database:${databaseId}`;

/**
 * Runs one job attempt of an operation: marks it running, serialises it with other work on the same
 * database, records success, or the readable failure once Bull has no retries left. Rethrows so Bull retries.
 */
@Injectable()
export class OperationRunner {
  private readonly logger = new Logger(OperationRunner.name);

  constructor(
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
  ) {}

  async run(
    job: JobRun,
    body: (op: OperationContext) => Promise<void>,
    onFinalFailure: (message: string) => Promise<void>,
  ): Promise<void> {
    const op = await this.operations.get(job.operationId);
    // Already finished (a duplicate delivery, or a job re-run after its result was written): nothing to do.
    if (!op || op.status === 'succeeded' || op.status === 'failed') return;
    await this.operations.markRunning(op.id, job.attempt);
    const ctx: OperationContext = {
      operationId: op.id,
      attempt: job.attempt,
      progress: (pct, message, transfer) =>
        this.operations.progress(op.id, Math.max(0, Math.min(100, Math.round(pct))), message, transfer),
    };
    try {
      let finished = false;
      await this.lock.withLock(databaseLockKey(job.databaseId), async () => {
        // Looked at again under the lock: another delivery of this job (a queue under heavy load delivers one
        // several times) may have finished the operation while this one waited. Its body must not run after that.
        const now = await this.operations.get(op.id);
        if (!now || now.status === 'succeeded' || now.status === 'failed') {
          finished = true;
          return;
        }
        await body(ctx);
      });
      if (finished) return;
      await this.operations.succeed(op.id);
    } catch (err) {
      if (err instanceof OperationCancelled) {
        await this.operations.fail(op.id, `cancelled: ${err.message}`);
        return;
      }
      const message = readableError(err);
      this.logger.warn(
        `${op.type} ${op.id} attempt ${job.attempt}/${job.maxAttempts}: ${(err as Error)?.stack ?? err}`,
      );
      const permanent = err instanceof StepFailed && err.permanent;
      if (permanent || job.attempt >= job.maxAttempts) {
        if (permanent) job.discard?.();
        // The database's state first: should that throw, the operation stays unfinished and the reconciler, which
        // sees the job failed, applies the policy again and ends it.
        await onFinalFailure(message);
        await this.operations.fail(op.id, message);
      } else {
        await this.operations.progress(op.id, op.progress, `attempt ${job.attempt} failed (${message}); retrying`);
      }
      throw err;
    }
  }
}
