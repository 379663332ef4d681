import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Stack, until } from '../support/stack';

type Line = Record<string, unknown>;

/** Every line of a process's log file, each of which must be one JSON object. */
function jsonLines(file: string): Line[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.map((l) => {
    try {
      return JSON.parse(l) as Line;
    } catch {
      throw new Error(`${file}: not a JSON line: ${l}`);
    }
  });
}

describe('structured logs: JSON lines with request and job ids', () => {
  const stack = new Stack({ name: 'logging' });
  let tenant: { id: string; key: string };

  before(async () => {
    await stack.start();
    tenant = await stack.tenant('logs');
  });
  after(() => stack.stop());

  test("an API request's lines carry its request id, echoed in the response's x-request-id", async () => {
    const given = `e2e-${Date.now().toString(36)}`;
    const res = await stack.request('GET', '/v1/databases', { key: tenant.key, headers: { 'x-request-id': given } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), given, 'a sane caller id is kept and sent back');

    // A request the API refuses still has its id, on its error lines too.
    const refused = await stack.request('GET', '/v1/databases', {
      key: 'wrong',
      headers: { 'x-request-id': 'e2e-refused' },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-request-id'), 'e2e-refused');

    const forged = await stack.request('GET', '/v1/databases', {
      key: tenant.key,
      headers: { 'x-request-id': 'a b "forged"' },
    });
    const made = forged.headers.get('x-request-id') ?? '';
    assert.match(made, /^[0-9a-f-]{36}$/, 'an id that is not a plain token is replaced by a UUID');
    const none = await stack.request('GET', '/v1/databases', { key: tenant.key });
    assert.match(none.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'every response has one');

    const file = stack.logFile('api');
    const mine = await until(
      "the request's lines",
      async () => {
        const l = jsonLines(file).filter((x) => x.reqId === given);
        return l.length ? l : null;
      },
      10_000,
    );
    const done = mine.find((l) => (l.req as Line | undefined)?.url === '/v1/databases');
    assert.ok(done, `the request's completion line: ${JSON.stringify(mine)}`);
    assert.equal((done.res as Line).statusCode, 200);
    assert.equal(done.service, 'api');
    assert.ok(typeof done.time === 'string' && typeof done.level === 'number');
    assert.ok(
      jsonLines(file).some((l) => l.reqId === made),
      'the generated id is the one logged',
    );
    assert.ok(!readFileSync(file, 'utf8').includes(tenant.key), 'the key is never logged');
  });

  test("a job's lines in the worker's log carry its operation, database, job name and host", async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'logged', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);

    const lines = jsonLines(stack.logFile('worker-0'));
    assert.ok(
      lines.some((l) => typeof l.msg === 'string' && /worker running/.test(l.msg)),
      'the start line',
    );
    const job = lines.filter((l) => l.operationId === res.body.operationId);
    assert.ok(job.length >= 2, `the job's lines: ${JSON.stringify(job)}`);
    for (const l of job) {
      assert.equal(l.databaseId, res.body.id, JSON.stringify(l));
      assert.equal(l.jobName, 'create-database', JSON.stringify(l));
      assert.equal(l.service, 'worker');
    }
    assert.ok(
      job.some((l) => /succeeded/.test(String(l.msg))),
      `its end is logged: ${job.map((l) => l.msg).join(' | ')}`,
    );
    // Lines of other work (the monitor, the reconciler) carry no job's ids.
    assert.ok(lines.some((l) => l.operationId === undefined));

    // A job on a placed database: its lines carry the database's host too (a created one has none at its start).
    const detail = await stack.request('GET', `/admin/v1/databases/${res.body.id}`, { key: stack.operatorKey });
    const hostId = detail.body.hostId as string;
    assert.ok(typeof hostId === 'string' && hostId !== '', JSON.stringify(detail.body));
    const restart = await stack.request('POST', `/v1/databases/${res.body.id}/restart`, { key: tenant.key });
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    const done = await stack.waitOperation(tenant.key, restart.body.operationId);
    assert.equal(done.status, 'succeeded', done.error);
    const restartLines = jsonLines(stack.logFile('worker-0')).filter((l) => l.operationId === restart.body.operationId);
    assert.ok(restartLines.length >= 2, `the restart's lines: ${JSON.stringify(restartLines)}`);
    for (const l of restartLines) {
      assert.equal(l.hostId, hostId, JSON.stringify(l));
      assert.equal(l.jobName, 'restart-database', JSON.stringify(l));
    }
  });
});
