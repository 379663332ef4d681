import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { servicesEnv } from '../support/services';
import { Stack } from '../support/stack';

/**
 * A failure that retrying cannot mend ends the operation at once, `failed` with a readable error, and nothing is
 * left running.
 */
describe('a job that keeps failing', () => {
  // Two attempts, short backoff: the failure is reached in seconds. The API cannot read the registry (a wrong
  // password), so it cannot tell that an image is missing and lets the request through, as when the registry is
  // down; the worker has the right password, and its pull is what fails.
  const stack = new Stack({
    name: 'failures',
    env: { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '200', IMAGE_REGISTRY_PASSWORD: 'not-the-password' },
    worker: { IMAGE_REGISTRY_PASSWORD: servicesEnv().IMAGE_REGISTRY_PASSWORD },
  });
  let key = '';

  before(async () => {
    await stack.start();
    key = (await stack.tenant('unlucky')).key;
  });
  after(() => stack.stop());

  test('an image the registry does not have: failed at the first attempt, readable error, database in error, then deletable', async () => {
    // PostgreSQL 17 is in the catalogue but the local registry only carries 15 (an API that can read the registry
    // refuses it at once: admission.e2e).
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'no-image', engine: 'postgresql', version: '17', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(key, res.body.operationId, 60_000);
    assert.equal(op.status, 'failed');
    // The registry said the tag does not exist: a second pull would say the same, so no retry is spent on it.
    assert.equal(op.attempts, 1);
    assert.match(op.error, /^image pull failed: .*postgres:17/);
    assert.ok(!/\n|at \w+ \(/.test(op.error), 'no stack trace in the error');
    assert.ok(op.finishedAt);
    const db = await stack.request('GET', `/v1/databases/${res.body.id}`, { key });
    assert.equal(db.body.status, 'error');
    assert.equal((await stack.containersOf(res.body.id)).length, 0);
    // Restart and rotation are refused on a database that never ran; deletion cleans it up.
    assert.equal((await stack.request('POST', `/v1/databases/${res.body.id}/rotate-password`, { key })).status, 409);
    const del = await stack.request('DELETE', `/v1/databases/${res.body.id}`, { key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(key, del.body.operationId)).status, 'succeeded');
    const metrics = (await stack.request('GET', '/metrics')).body as string;
    assert.match(metrics, /dbaas_jobs_total\{job="create-database",result="failed"\} 1/);
    assert.match(metrics, /dbaas_operations\{type="create-database",status="failed"\} 1/);
  });

  test('a second request on a busy database is a 409 naming the operation in flight', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'busy', engine: 'redis', plan: 'small' },
    });
    const restart = await stack.request('POST', `/v1/databases/${res.body.id}/restart`, { key });
    assert.equal(restart.status, 409);
    assert.match(restart.body.message, new RegExp(`operation ${res.body.operationId} \\(create-database\\)`));
    assert.equal((await stack.waitOperation(key, res.body.operationId)).status, 'succeeded');
    // DELETE twice: the second returns the first one's operation.
    const d1 = await stack.request('DELETE', `/v1/databases/${res.body.id}`, { key });
    const d2 = await stack.request('DELETE', `/v1/databases/${res.body.id}`, { key });
    assert.equal(d1.status, 202);
    assert.ok(d2.status === 202 || d2.status === 404, String(d2.status));
    if (d2.status === 202) assert.equal(d2.body.operationId, d1.body.operationId);
    assert.equal((await stack.waitOperation(key, d1.body.operationId)).status, 'succeeded');
  });
});
