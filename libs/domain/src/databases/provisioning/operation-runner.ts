import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TransferProgress } from '@app/persistence/entities';
import { DomainException } from '../../errors';
import { OPERATION_REPOSITORY, OperationRepository, RESOURCE_LOCK, ResourceLock } from '../../ports';

export interface OperationContext {
  operationId: string;
  attempt: number;
  /** `transfer`: the bytes and files of a bulk copy, shown with the operation while it runs. */
  progress(pct: number, message: string, transfer?: TransferProgress): Promise<void>;
}

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

/** The job's target went away (e.g. deleted meanwhile): the operation ends without retries. */
export class OperationCancelled extends Error {}

/**
 * A failure of one named step, with a message fit to show the tenant (no raw driver or shell text).
 * `permanent`: trying again cannot succeed (a missing image, a limit the host refuses, a crash at start), so the
 * operation ends at once instead of spending its retries.
 */
export class StepFailed extends Error {
  readonly permanent: boolean;
  constructor(
    readonly step: string,
    readonly detail: string,
    opts: { permanent?: boolean } = {},
  ) {
    super(`${step} failed: ${detail}`);
    this.permanent = opts.permanent ?? false;
  }
}

// What a container engine or registry answers when the request itself is wrong: the same request fails again.
const PERMANENT_CAUSES = [
  /manifest unknown/i,
  /manifest for \S+ not found/i,
  /repository does not exist/i,
  /pull access denied/i,
  /invalid reference format/i,
  /range of cpus is from/i,
  /minimum memory limit allowed is/i,
];

/** Whether a raw error (Docker's, a registry's) says that retrying the same request cannot help. */
export function isPermanentCause(err: unknown): boolean {
  if (err instanceof StepFailed) return err.permanent;
  // Named causes only, not Docker's 400 as such: a bind source that is not there yet (storage still being
  // attached during a takeover) is a 400 too, and a retry mends it.
  const e = err as { json?: { message?: string }; message?: string } | null;
  const text = `${e?.json?.message ?? ''} ${e?.message ?? ''}`;
  return PERMANENT_CAUSES.some((re) => re.test(text));
}

// Long enough for a container's last log lines (a crash at start is told by them), short enough for a row.
const MAX_ERROR = 2000;

export function readableError(err: unknown, secrets: string[] = []): string {
  let msg =
    err instanceof StepFailed || err instanceof DomainException
      ? err.message
      : `internal error (${(err as Error)?.name ?? 'Error'}); see the worker log`;
  for (const s of secrets) if (s) msg = msg.split(s).join('***');
  return msg.slice(0, MAX_ERROR);
}

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
      await this.lock.withLock(databaseLockKey(job.databaseId), () => body(ctx));
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
