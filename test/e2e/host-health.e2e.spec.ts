import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack, until } from '../support/stack';

/** Health that does not lie: what was never checked, or could not be, reads `unknown`, never a green check. */
describe('host health checks in the admin API', () => {
  const stack = new Stack({ name: 'host-health', worker: { FAILOVER_PROBE_INTERVAL_MS: '300' } });
  const op = () => ({ key: stack.operatorKey });
  /** The host as the three admin reads show it: the list, the detail and the overview's capacity entry. */
  const views = async (id: string) => {
    const list = (await stack.request('GET', '/admin/v1/hosts', op())).body.find((h: any) => h.id === id);
    const detail = (await stack.request('GET', `/admin/v1/hosts/${id}`, op())).body;
    const overview = (await stack.request('GET', '/admin/v1/overview', op())).body.capacity.find(
      (c: any) => c.hostId === id,
    );
    return { list, detail, overview };
  };

  before(() => stack.start());
  after(() => stack.stop());

  test('a host never reached: ssh and docker unknown everywhere, whatever its probes did', async () => {
    const host = await stack.registerUnreachableHost('never-reached', {
      capacity: { cpus: 2, memoryMb: 2048, diskGb: 20 },
    });
    // The failover worker probes it (its SSH port is closed) and records failures: SSH never answered, and
    // Docker was never asked.
    const probed = await until('a recorded failed probe', async () => {
      const h = (await stack.request('GET', `/admin/v1/hosts/${host.id}`, op())).body;
      return h.health?.failures > 0 && h;
    });
    assert.equal(probed.lastSeenAt, null);
    assert.notEqual(probed.health.docker, true, `Docker was never checked: ${JSON.stringify(probed.health)}`);
    const v = await views(host.id);
    for (const [where, h] of Object.entries(v))
      assert.deepEqual(h.checks, { ssh: 'unknown', docker: 'unknown' }, `${where}: ${JSON.stringify(h)}`);
  });

  test('the local host, once checked: ssh and docker ok', async () => {
    const local = (await stack.request('GET', '/admin/v1/hosts', op())).body.find((h: any) => h.name === 'local');
    assert.ok(local, 'the local host is registered');
    const checked = await until('the local host checked', async () => {
      const h = (await stack.request('GET', `/admin/v1/hosts/${local.id}`, op())).body;
      return h.health && h;
    });
    assert.equal(checked.health.docker, true, JSON.stringify(checked.health));
    assert.ok(checked.lastSeenAt);
    for (const [where, h] of Object.entries(await views(local.id)))
      assert.deepEqual(h.checks, { ssh: 'ok', docker: 'ok' }, `${where}: ${JSON.stringify(h)}`);
  });
});
