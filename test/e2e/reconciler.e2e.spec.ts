import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import Bull from 'bull';
import { Stack } from '../support/stack';

/**
 * No operation stuck forever: when Bull gives up on a job without the operation being marked (its worker died
 * once too often, or the run could not record its failure), the reconciler ends the operation `failed` with
 * the queue's reason and applies the same final-failure policy as a last failed attempt.
 */
describe('operations whose job Bull gave up on', () => {
  // The reconciler looks every second (the default is every 30 s).
  const stack = new Stack({ name: 'reconciler', startWorker: false, worker: { RECONCILE_INTERVAL_MS: '1000' } });
  let key = '';
  const op = () => ({ key: stack.operatorKey });

  before(async () => {
    await stack.start();
    key = (await stack.tenant('abandoned')).key;
  });
  after(() => stack.stop());

  /** Creates a PostgreSQL database and kills `worker` once its create job is running (the container exists). */
  async function killMidCreate(worker: ChildProcess, name: string): Promise<{ id: string; operationId: string }> {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name, engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const deadline = Date.now() + 60_000;
    while ((await stack.containersOf(res.body.id)).length === 0) {
      assert.ok(Date.now() < deadline, 'the container never appeared');
      await new Promise((r) => setTimeout(r, 50));
    }
    const running = (await stack.request('GET', `/v1/operations/${res.body.operationId}`, { key })).body;
    assert.equal(running.status, 'running', 'killed in the middle, not after');
    stack.killWorker(worker);
    await new Promise((r) => worker.once('exit', r));
    return { id: res.body.id, operationId: res.body.operationId };
  }

  /** Each test runs its own workers, stopped when it ends whatever happened (a live one would take the next job). */
  async function stopWorkers(): Promise<void> {
    for (const w of stack.workers) {
      if (w.exitCode !== null || w.signalCode !== null) continue;
      w.kill('SIGTERM');
      await new Promise((r) => w.once('exit', r));
    }
  }

  test('a job Bull moved to failed: the operation ends failed with its reason, the database is no longer busy', async (t) => {
    t.after(stopWorkers);
    const created = await killMidCreate(stack.startWorker(), 'given-up');
    // What Bull does when it gives up on a job nobody marked (stall limit, an error while marking the failure):
    // the job lands in Bull's failed set, for good, with its reason.
    const queue = new Bull('databases', stack.env.REDIS_URL, { prefix: stack.env.QUEUE_PREFIX });
    try {
      const job = await queue.getJob(created.operationId);
      assert.ok(job, 'the job is in Bull');
      job.discard();
      await job.moveToFailed({ message: 'worker lost the job (test)' }, true);
      assert.equal(await job.getState(), 'failed');
    } finally {
      await queue.close();
    }

    stack.startWorker();
    const t0 = Date.now();
    // Bounded well past the old reconciler's first look (stale after 60 s, every 30 s).
    const done = await stack.waitOperation(key, created.operationId, 90_000);
    const tookMs = Date.now() - t0;
    assert.equal(done.status, 'failed');
    assert.match(done.error, /worker lost the job \(test\)/);
    assert.ok(done.finishedAt);
    console.log(`# operation failed by the reconciler ${tookMs} ms after the worker started`);
    // The same policy as a last failed attempt of a create: the database is in error, and not busy any more.
    const db = await stack.request('GET', `/v1/databases/${created.id}`, { key });
    assert.equal(db.body.status, 'error');
    const [event] = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'operation.failed'`,
      [created.id],
    );
    assert.match(event.message, /^create-database: .*worker lost the job \(test\)/);
    // An operator retries it (a new operation: none is in flight any more), and it completes.
    const retry = await stack.request('POST', `/admin/v1/operations/${created.operationId}/retry`, op());
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal((await stack.waitOperation(key, retry.body.operationId)).status, 'succeeded');
    assert.equal((await stack.request('GET', `/v1/databases/${created.id}`, { key })).body.status, 'running');
    const del = await stack.request('DELETE', `/v1/databases/${created.id}`, { key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(key, del.body.operationId)).status, 'succeeded');
    assert.equal((await stack.containersOf(created.id)).length, 0);
  });

  test('a worker killed mid-job past the stall limit: Bull fails the job, the operation ends failed', async (t) => {
    t.after(stopWorkers);
    const created = await killMidCreate(stack.startWorker(), 'stalled');
    // This worker finds the dead worker's job stalled; with a stall limit of 0, Bull fails it at once.
    stack.startWorker({ JOB_MAX_STALLED_COUNT: '0' });
    const done = await stack.waitOperation(key, created.operationId, 90_000);
    assert.equal(done.status, 'failed', JSON.stringify(done));
    assert.match(done.error, /stalled/);
    assert.equal((await stack.request('GET', `/v1/databases/${created.id}`, { key })).body.status, 'error');
    const del = await stack.request('DELETE', `/v1/databases/${created.id}`, { key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(key, del.body.operationId)).status, 'succeeded');
    assert.equal((await stack.containersOf(created.id)).length, 0);
  });
});
