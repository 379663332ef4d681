import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { childrenRunning } from '../support/processes';
import { Stack } from '../support/stack';

/** The real worker under the quickstart's supervisor: killed, it is back within 10 s, and /metrics counts it. */
describe('a supervised worker that is killed', () => {
  const stack = new Stack({ name: 'worker-supervised', startWorker: false, worker: { FAILOVER_ENABLED: 'false' } });
  const dir = mkdtempSync(join(tmpdir(), 'worker-supervised-'));
  const restarts = join(dir, 'worker.restarts');
  let key = '';
  let supervisor: number;

  before(async () => {
    await stack.start();
    key = (await stack.tenant('phoenix')).key;
    supervisor = stack.startSupervisedWorker(restarts).pid!;
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const workers = () => childrenRunning(supervisor, 'apps/worker/main.js');
  const starts = async () => {
    const body = (await stack.request('GET', '/metrics')).body as string;
    return Number(/^dbaas_process_starts_total\{process="worker"\} (\d+)$/m.exec(body)?.[1] ?? 0);
  };
  async function until<T>(ms: number, what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      assert.ok(Date.now() < deadline, `${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('back within 10 s, counted in /metrics, and running jobs', async () => {
    await until(30_000, 'the worker starts', async () => ((await starts()) >= 1 ? true : undefined));
    assert.equal(await starts(), 1);
    const [first] = workers();
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    // Back: a new process that got as far as counting its start (after its queue consumers are up).
    await until(10_000, 'the worker is back', async () => ((await starts()) === 2 ? true : undefined));
    const back = Date.now() - killedAt;
    console.log(`worker killed: back and consuming in ${back} ms`);
    assert.notEqual(workers()[0], first);
    assert.equal(readFileSync(restarts, 'utf8').trim(), '1');
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'risen', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const done = await stack.waitOperation(key, res.body.operationId, 120_000);
    assert.equal(done.status, 'succeeded', done.error);
  });
});
