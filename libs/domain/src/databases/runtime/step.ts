import type { Logger } from '@nestjs/common';
import { isPermanentCause, OperationCancelled, StepFailed } from '../../operations/operation-context';
import { RoundTrips } from '../../ports/round-trips';
import { takenPort } from './host-port';

/**
 * Runs one named step of a job: a failure becomes a StepFailed with a short message fit for the tenant (the raw
 * error goes to `logger`), permanent when retrying cannot help.
 */
export async function runStep<T>(logger: Logger, name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    // Each step's time and round trips to hosts, in the job's log: where a slow operation spent its time.
    return await RoundTrips.count(async (counted) => {
      try {
        return await fn();
      } finally {
        logger.log(`step ${name}: ${Date.now() - started} ms, ${counted()} round trip(s)`);
      }
    });
  } catch (err) {
    if (err instanceof StepFailed || err instanceof OperationCancelled) throw err;
    const port = takenPort(err);
    // Another program took a port the tenant already connects to: retrying does not free it, an operator must.
    if (port !== null)
      throw new StepFailed(name, `port ${port} is in use on the host by another program`, { permanent: true });
    const detail = String((err as { json?: { message?: string } })?.json?.message ?? (err as Error)?.message ?? err)
      .split('\n')[0]
      .slice(0, 200);
    logger.warn(`${name}: ${(err as Error)?.stack ?? err}`);
    throw new StepFailed(name, detail, { permanent: isPermanentCause(err) });
  }
}
