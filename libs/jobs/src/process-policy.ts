import { Logger } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bull';
import { QueueName, processStartsKey } from './job.contract';

/**
 * What the API and the worker do with errors nobody handled.
 * - A rejected promise nobody awaited (a stray probe, a fire-and-forget write in one job) is logged with its stack
 *   and the process keeps serving: it failed one piece of work, the process state is intact.
 * - An uncaught exception keeps Node's default, exit: thrown from an event handler, it may have left any state
 *   half-changed, so the process ends and its supervisor starts it again within seconds (jobs in flight stall and
 *   are retried, operations are reconciled). SSH sessions handle their own errors (SshExecutor).
 */
export function keepRunningOnStrayRejections(name: string): void {
  const logger = new Logger(name);
  process.on('unhandledRejection', (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    logger.error(`unhandled promise rejection (the process keeps running): ${text}`);
  });
}

/** Counts this start in Redis for /metrics (dbaas_process_starts_total); best effort, never blocks the start. */
export async function recordProcessStart(app: INestApplicationContext, name: string, prefix: string): Promise<void> {
  const queue = app.get<Queue>(getQueueToken(QueueName.Databases));
  await queue.client.hincrby(processStartsKey(prefix), name, 1).catch(() => undefined);
}
