import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import pino from 'pino';
import type { Job } from 'bull';
import type { CommonEnv } from '@app/config';
import type { DatabaseRepository, JobTable, OperationRunner } from '@app/domain';
import { JobName } from '@app/jobs';
import { loggerOptions } from '@app/logging';
import type { DatabaseEntity } from '@app/persistence/entities';
import { DatabaseProcessor } from '../../../../../apps/worker/src/processors/database.processor';

// The job's start and end lines go to Nest's console logger: not what is checked here.
Logger.overrideLogger(false);

/** The lines a logger with the platform's options writes (the log context comes in through its mixin). */
function jsonLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino(loggerOptions({ service: 'worker', level: 'log' })[0], sink) };
}

/** A processor whose job body writes one log line; the database repository answers `get` as told. */
function processor(get: (id: string) => Promise<Partial<DatabaseEntity> | null>) {
  const log = jsonLogger();
  const runner = {
    run: async (_run: unknown, body: (op: unknown) => Promise<void>) => body({}),
  } as unknown as OperationRunner;
  const jobTable = { run: async () => log.logger.info('inside the job') } as unknown as JobTable;
  const queue = { client: { hincrby: async () => 1 } };
  const databases = { get } as unknown as DatabaseRepository;
  const p = new DatabaseProcessor(runner, jobTable, { QUEUE_PREFIX: 't' } as CommonEnv, queue as never, databases);
  return { p, lines: log.lines };
}

const job = (name: JobName, data: Record<string, unknown>) =>
  ({ name, data: { operationId: 'op-1', databaseId: 'db-1', ...data }, attemptsMade: 0, opts: { attempts: 3 } }) as Job;

describe('DatabaseProcessor: the log context of a job', () => {
  test("a database job's lines carry its operation, database, job name and the database's host at its start", async () => {
    const { p, lines } = processor(async (id) => ({ id, hostId: 'host-7' }));
    await p.handle(job(JobName.RestartDatabase, {}) as never);
    assert.equal(lines.length, 1);
    assert.deepEqual(
      { ...lines[0], time: undefined, pid: undefined },
      {
        level: 30,
        time: undefined,
        pid: undefined,
        service: 'worker',
        operationId: 'op-1',
        databaseId: 'db-1',
        hostId: 'host-7',
        jobName: 'restart-database',
        attempt: 1,
        msg: 'inside the job',
      },
    );
  });

  test('a host the job carries wins over the database row (not read then)', async () => {
    let reads = 0;
    const { p, lines } = processor(async () => (reads++, { hostId: 'host-7' }));
    await p.handle(job(JobName.MoveDatabase, { hostId: 'host-9' }) as never);
    assert.equal(lines[0].hostId, 'host-9');
    assert.equal(reads, 0);
  });

  test('no host yet (a database being created), a database gone, or the row unreadable: no hostId, the job still runs', async () => {
    for (const get of [
      async () => ({ hostId: null }),
      async () => null,
      async () => {
        throw new Error('connection refused');
      },
    ]) {
      const { p, lines } = processor(get as never);
      await p.handle(job(JobName.CreateDatabase, {}) as never);
      assert.equal(lines.length, 1, 'the job ran');
      assert.equal('hostId' in lines[0], false, JSON.stringify(lines[0]));
      assert.equal(lines[0].databaseId, 'db-1');
    }
  });
});
