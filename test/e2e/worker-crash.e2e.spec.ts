import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { Stack } from '../support/stack';
import { pgUri, saveCa } from '../support/tls';

/** Jobs are idempotent: a worker killed in the middle of a provisioning leaves one container, not two. */
describe('worker killed mid-provisioning', () => {
  const stack = new Stack({ name: 'worker-crash', startWorker: false });
  let key = '';

  before(async () => {
    await stack.start();
    await saveCa(stack.apiUrl);
    key = (await stack.tenant('crashy')).key;
  });
  after(() => stack.stop());

  test('the restarted worker finishes the job with exactly one container', async () => {
    const worker = stack.startWorker();
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'survivor', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const id = res.body.id;
    // Kill the worker once the container exists but before the database is ready.
    const deadline = Date.now() + 60_000;
    while ((await stack.containersOf(id)).length === 0) {
      assert.ok(Date.now() < deadline, 'the container never appeared');
      await new Promise((r) => setTimeout(r, 50));
    }
    const op = (await stack.request('GET', `/v1/operations/${res.body.operationId}`, { key })).body;
    assert.equal(op.status, 'running', 'killed in the middle, not after');
    stack.killWorker(worker);
    await new Promise((r) => worker.once('exit', r));

    stack.startWorker();
    const done = await stack.waitOperation(key, res.body.operationId, 120_000);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal((await stack.containersOf(id)).length, 1, 'exactly one container');
    const [vols] = await stack.metadata('SELECT count(*)::int AS n FROM volumes WHERE database_id = $1', [id]);
    assert.equal(vols.n, 1);
    const creds = (await stack.request('GET', `/v1/databases/${id}/credentials`, { key })).body;
    const c = new Client({ connectionString: pgUri(creds.uri) });
    await c.connect();
    assert.deepEqual((await c.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
    await c.end();
  });

  test('an operation whose job was lost is re-enqueued by the reconciler', async () => {
    // Simulate Redis losing the job: write an operation row the queue never heard of.
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'orphan', engine: 'redis', plan: 'small' },
    });
    await stack.waitOperation(key, res.body.operationId);
    const [row] = await stack.metadata(
      `INSERT INTO operations (type, status, tenant_id, database_id, host_id, created_at)
       SELECT 'restart-database', 'queued', tenant_id, id, host_id, now() - interval '2 minutes' FROM databases WHERE id = $1 RETURNING id`,
      [res.body.id],
    );
    const done = await stack.waitOperation(key, row.id, 90_000);
    assert.equal(done.status, 'succeeded', done.error);
  });
});
