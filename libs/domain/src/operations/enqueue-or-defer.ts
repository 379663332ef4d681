import type { Logger } from '@nestjs/common';
import type { JobQueue } from '@app/jobs';

/**
 * The operation row is the source of truth; if Redis is briefly unreachable the worker's reconciler
 * enqueues the job later, so the request still succeeds.
 */
export async function enqueueOrDefer(
  jobs: JobQueue,
  logger: Logger,
  item: Parameters<JobQueue['enqueue']>[0],
): Promise<void> {
  try {
    await jobs.enqueue(item);
  } catch (err) {
    logger.warn(
      `enqueue of ${item.name} ${item.data.operationId} deferred to the reconciler: ${(err as Error).message}`,
    );
  }
}
