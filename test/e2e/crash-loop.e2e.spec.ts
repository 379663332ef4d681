import 'reflect-metadata';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/**
 * A database that cannot start says why within seconds: the readiness wait watches the container, and a crash
 * loop ends the operation at once (no retries: the same start fails the same way) with the container's last
 * log lines, secrets masked.
 */
describe('a database that crash-loops', () => {
  // The default retries (5): the test shows they are not spent on a crash that retrying cannot mend.
  const stack = new Stack({ name: 'crash-loop', env: { JOB_ATTEMPTS: '5' } });
  let key = '';

  before(async () => {
    await stack.start();
    key = (await stack.tenant('crashy')).key;
  });
  after(() => stack.stop());

  test('a restart into a broken configuration fails in seconds, once, with the log lines that say why', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'broken-conf', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await stack.waitOperation(key, res.body.operationId, 180_000)).status, 'succeeded');
    const { password } = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body;
    const [vol] = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [res.body.id]);
    // A setting PostgreSQL refuses at start; the password in it shows that log lines are masked.
    appendFileSync(join(vol.path, 'pgdata', 'postgresql.conf'), `\nshared_buffers = 'broken-${password}'\n`);

    const t0 = Date.now();
    const restart = await stack.request('POST', `/v1/databases/${res.body.id}/restart`, { key });
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    const op = await stack.waitOperation(key, restart.body.operationId, 120_000);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`crash loop: restart request to operation failed in ${seconds.toFixed(1)} s`);
    assert.equal(op.status, 'failed');
    assert.equal(op.attempts, 1, 'a crash at start is not retried');
    assert.ok(seconds < 15, `ended after ${seconds} s`);
    assert.match(op.error, /^readiness failed: the container (keeps restarting|stopped)/);
    assert.match(op.error, /shared_buffers/, 'the cause, from the container log, is in the error');
    assert.ok(!op.error.includes(password), 'the password is masked');
    const [failed] = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'operation.failed'`,
      [res.body.id],
    );
    assert.match(failed.message, /shared_buffers/);
    assert.ok(!failed.message.includes(password));
  });
});

describe('a database that is not ready in time', () => {
  // A readiness timeout far below PostgreSQL's first start (initdb): the timeout is what is under test.
  const stack = new Stack({ name: 'ready-timeout', env: { READY_TIMEOUT_MS: '1500', JOB_ATTEMPTS: '1' } });
  let key = '';

  before(async () => {
    await stack.start();
    key = (await stack.tenant('slow')).key;
  });
  after(() => stack.stop());

  test('the timeout names what was last seen: container state, port, last connection error, last log line', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'slow-start', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 60_000);
    assert.equal(op.status, 'failed');
    assert.match(
      op.error,
      /^readiness failed: the database did not accept connections on port \d+ within 2 s \(container running, 0 restart\(s\); last connection error: .+; last log line: .+\)$/s,
    );
  });
});
