import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/** Listens on 0.0.0.0:port (as another program on the host would); null when the port is not free. */
function hold(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '0.0.0.0', () => resolve(s));
  });
}

/**
 * The metadata knows which ports our databases use, not what else runs on the host. A port another program
 * holds is skipped at creation; an existing database whose port was taken fails at once, naming the port.
 */
describe('host ports held by other programs', () => {
  const SPAN = 6;
  const held: Server[] = [];
  let from = 0;
  let stack: Stack;
  let key = '';

  before(async () => {
    // Six ports under the kernel's ephemeral range; all but the last held by "another program".
    for (let base = 31_000 + Math.floor(Math.random() * 200) * 8; !from; base += 8) {
      const got = await Promise.all(Array.from({ length: SPAN }, (_, i) => hold(base + i)));
      if (got.every(Boolean)) {
        from = base;
        held.push(...(got as Server[]).slice(0, SPAN - 1));
        got[SPAN - 1]!.close();
      } else got.forEach((s) => s?.close());
    }
    stack = new Stack({ name: 'host-ports', env: { PORT_RANGE: `${from}-${from + SPAN - 1}`, JOB_ATTEMPTS: '3' } });
    await stack.start();
    key = (await stack.tenant('ports')).key;
  });
  after(async () => {
    held.forEach((s) => s.close());
    await stack?.stop();
  });

  let first = '';
  test('a creation skips the ports other programs hold on the host', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'port-one', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 120_000);
    assert.equal(op.status, 'succeeded', op.error);
    const db = (await stack.request('GET', `/v1/databases/${res.body.id}`, { key })).body;
    assert.equal(db.endpoint.port, from + SPAN - 1, 'the only port no other program holds');
    first = res.body.id;
  });

  test('when every port left is held, the creation fails at once and says so', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'port-two', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 60_000);
    assert.equal(op.status, 'failed');
    assert.equal(op.attempts, 1, 'retrying does not free a port');
    assert.match(op.error, /no free port/i);
    assert.match(op.error, /in use on the host/);
  });

  test('a database whose port another program took fails at once, naming the port', async () => {
    const [c] = await stack.containersOf(first);
    execFileSync('docker', ['rm', '-f', c.Id]);
    const port = from + SPAN - 1;
    const squatter = await hold(port);
    assert.ok(squatter, 'the port is free once the container is gone');
    held.push(squatter);
    const res = await stack.request('POST', `/v1/databases/${first}/restart`, { key });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 60_000);
    assert.equal(op.status, 'failed');
    assert.equal(op.attempts, 1);
    assert.match(op.error, new RegExp(`port ${port} is in use on the host by another program`));
  });
});
