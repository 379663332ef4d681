import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';

/** What every log line written during a job carries, whichever code writes it. */
export interface LogContext {
  operationId?: string;
  databaseId?: string;
  hostId?: string;
  jobName?: string;
  /** The job's attempt, from 1. */
  attempt?: number;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `context` on every line logged while it runs, awaited calls included (AsyncLocalStorage, read by
 * the logger's mixin). Nested calls add to the outer context.
 */
export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...pick(context) }, fn);
}

/** Adds fields to the current context once they are known (e.g. the host a job works on); outside one, nothing. */
export function addLogContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, pick(fields));
}

/** The fields of the current context (empty outside one): the pino mixin. */
export function currentLogContext(): LogContext {
  return { ...storage.getStore() };
}

// Only the context's own fields, set: a caller may pass a larger object (a job's run, with its callbacks).
const FIELDS = ['operationId', 'databaseId', 'hostId', 'jobName', 'attempt'] as const;
const pick = (c: LogContext): LogContext =>
  Object.fromEntries(FIELDS.filter((k) => c[k] !== undefined && c[k] !== null && c[k] !== '').map((k) => [k, c[k]]));

const jobLogger = new Logger('Job');

/**
 * A job run inside its log context (see runWithLogContext), its start and outcome logged with the time taken: a
 * job's lines in the log begin and end with these, whatever its code logs between them.
 */
export async function runJobWithLogContext<T>(context: LogContext, fn: () => Promise<T>): Promise<T> {
  return runWithLogContext(context, async () => {
    const started = Date.now();
    jobLogger.log(`job ${context.jobName ?? ''} started (attempt ${context.attempt ?? 1})`);
    try {
      const result = await fn();
      jobLogger.log({ msg: `job ${context.jobName ?? ''} succeeded`, durationMs: Date.now() - started });
      return result;
    } catch (err) {
      const msg = `job ${context.jobName ?? ''} attempt failed: ${(err as Error)?.message ?? err}`;
      jobLogger.warn({ msg, durationMs: Date.now() - started });
      throw err;
    }
  });
}
