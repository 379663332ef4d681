import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { servicesEnv } from '../support/services';
import { Stack } from '../support/stack';

/** The admin API behind the console: overview, inventory, inspection, retry, audit, and the console's files. */
describe('admin console API, end to end on the local host', () => {
  // The API cannot read the registry (a wrong password): it lets a create of a missing image through, as when the
  // registry is down, and the retry test gets a create that fails in the worker (whose password is right).
  const stack = new Stack({
    name: 'console-api',
    env: { IMAGE_REGISTRY_PASSWORD: 'not-the-password' },
    worker: { IMAGE_REGISTRY_PASSWORD: servicesEnv().IMAGE_REGISTRY_PASSWORD },
  });
  const op = () => ({ key: stack.operatorKey });
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  // An image tag the registry does not have: a create fails until the tag appears locally.
  const missing = `${servicesEnv().IMAGE_REGISTRY}/library/postgres:16`;
  let tenant: { id: string; key: string };
  let dbId = '';
  let localHostId = '';

  const adminWait = async (operationId: string, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await stack.request('GET', `/admin/v1/operations/${operationId}`, op());
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.status === 'succeeded' || r.body.status === 'failed') return r.body;
      assert.ok(Date.now() < deadline, `operation ${operationId} still ${r.body.status}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };

  before(async () => {
    await docker
      .getImage(missing)
      .remove()
      .catch(() => undefined);
    await stack.start();
    tenant = await stack.tenant('acme');
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'shop', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId, 180_000)).status, 'succeeded');
  });
  after(async () => {
    await stack.stop();
    await docker
      .getImage(missing)
      .remove()
      .catch(() => undefined);
  });

  test('no key, an unknown key or a tenant key sees nothing of the fleet', async () => {
    for (const path of ['/admin/v1/overview', '/admin/v1/storage', '/admin/v1/audit', '/admin/v1/hosts']) {
      assert.equal((await stack.request('GET', path)).status, 401, path);
      assert.equal((await stack.request('GET', path, { key: 'op-wrong' })).status, 401, path);
      const asTenant = await stack.request('GET', path, { key: tenant.key });
      assert.equal(asTenant.status, 403, path);
      assert.doesNotMatch(JSON.stringify(asTenant.body), /local|shop|acme/);
    }
  });

  test('overview: hosts by status, databases by status, capacity promised against allocatable', async () => {
    const res = await stack.request('GET', '/admin/v1/overview', op());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const o = res.body;
    assert.equal(o.hosts.total, 1);
    assert.deepEqual(o.hosts.byStatus, { active: 1, draining: 0, down: 0, fenced: 0 });
    assert.equal(o.databases.total, 1);
    assert.equal(o.databases.byStatus.running, 1);
    assert.deepEqual(o.failovers24h, { total: 0, byStatus: {} });
    const [local] = o.capacity;
    localHostId = local.hostId;
    const [plan] = (await stack.request('GET', '/v1/plans', { key: tenant.key })).body.filter(
      (p: { name: string }) => p.name === 'small',
    );
    const [host] = await stack.metadata('SELECT capacity FROM hosts WHERE id = $1', [local.hostId]);
    assert.equal(local.name, 'local');
    assert.equal(local.databases, 1);
    assert.deepEqual(local.cpus, { used: plan.cpus, allocatable: host.capacity.cpus });
    assert.deepEqual(local.memoryMb, { used: plan.memoryMb, allocatable: host.capacity.memoryMb });
    assert.deepEqual(local.diskGb, { used: plan.diskGb, allocatable: host.capacity.diskGb });
  });

  test('hosts: counts in the list; in depth, the databases placed there with their tenant, and the usage', async () => {
    const list = (await stack.request('GET', '/admin/v1/hosts', op())).body;
    assert.equal(list.length, 1);
    assert.equal(list[0].databases, 1);
    assert.equal(list[0].luns, 0);
    assert.ok(list[0].health === null || typeof list[0].health.checkedAt === 'string');
    const detail = (await stack.request('GET', `/admin/v1/hosts/${localHostId}`, op())).body;
    assert.deepEqual(
      detail.placed.map((d: any) => [d.id, d.name, d.tenantName, d.engine, d.status]),
      [[dbId, 'shop', 'acme', 'postgresql', 'running']],
    );
    assert.deepEqual(detail.attachedLuns, []);
    assert.ok(detail.usage.cpus > 0 && detail.usage.memoryMb > 0 && detail.usage.diskGb > 0);
    assert.equal(detail.sshPrivateKey, undefined);
  });

  test('databases across tenants: filters by tenant, engine, status and host; bad filters are 400', async () => {
    const q = async (qs: string) => {
      const r = await stack.request('GET', `/admin/v1/databases?${qs}`, op());
      assert.equal(r.status, 200, `${qs}: ${JSON.stringify(r.body)}`);
      return r.body.map((d: { id: string }) => d.id);
    };
    assert.deepEqual(await q(`tenantId=${tenant.id}`), [dbId]);
    assert.deepEqual(await q('engine=postgresql'), [dbId]);
    assert.deepEqual(await q('engine=redis'), []);
    assert.deepEqual(await q('status=running'), [dbId]);
    assert.deepEqual(await q('status=error'), []);
    assert.deepEqual(await q(`hostId=${localHostId}&engine=postgresql&status=running`), [dbId]);
    const [row] = (await stack.request('GET', '/admin/v1/databases', op())).body;
    assert.equal(row.tenantName, 'acme');
    assert.equal(row.hostName, 'local');
    for (const bad of ['engine=oracle', 'status=happy', 'tenantId=nope', 'hostId=1']) {
      assert.equal((await stack.request('GET', `/admin/v1/databases?${bad}`, op())).status, 400, bad);
    }
  });

  test('one database in depth: volume, recent operations, events, and its container logs', async () => {
    const d = (await stack.request('GET', `/admin/v1/databases/${dbId}`, op())).body;
    assert.equal(d.tenantName, 'acme');
    assert.equal(d.hostName, 'local');
    assert.equal(d.volumes.length, 1);
    assert.equal(d.volumes[0].role, 'primary');
    assert.equal(d.volumes[0].driver, 'directory');
    assert.equal(d.volumes[0].hostName, 'local');
    assert.ok(d.operations.some((o: any) => o.type === 'create-database' && o.status === 'succeeded'));
    assert.ok(d.events.length > 0);
    const logs = await stack.request('GET', `/admin/v1/databases/${dbId}/logs?tail=20`, op());
    assert.equal(logs.status, 200);
    assert.ok(logs.body.lines.length > 0 && logs.body.lines.length <= 20);
    assert.ok(logs.body.lines.some((l: string) => /database system is ready to accept connections/.test(l)));
    assert.equal((await stack.request('GET', `/admin/v1/databases/${dbId}/logs?tail=0`, op())).status, 400);
  });

  test('storage: each host data root with its size and free space, read on the host', async () => {
    const s = (await stack.request('GET', '/admin/v1/storage', op())).body;
    assert.deepEqual(s.backends, []);
    const [local] = s.hosts;
    assert.equal(local.name, 'local');
    assert.equal(local.error, null);
    assert.ok(local.sizeBytes > 0 && local.freeBytes > 0 && local.freeBytes <= local.sizeBytes);
  });

  test('retry: a failed create is retryable; the retry is a new operation that succeeds once the cause is gone', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'late', engine: 'postgresql', version: '16', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const failed = await adminWait(res.body.operationId);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /image pull failed/);
    const listed = (await stack.request('GET', '/admin/v1/operations?status=failed', op())).body;
    const entry = listed.find((o: any) => o.id === failed.id);
    assert.equal(entry.retryable, true);
    const succeeded = (await stack.request('GET', '/admin/v1/operations?status=succeeded', op())).body;
    assert.ok(succeeded.every((o: any) => o.retryable === false));

    // The cause goes away: the image appears on the host. The retry runs the same create again.
    await docker.getImage(`${servicesEnv().IMAGE_REGISTRY}/library/postgres:15`).tag({
      repo: `${servicesEnv().IMAGE_REGISTRY}/library/postgres`,
      tag: '16',
    });
    const retried = await stack.request('POST', `/admin/v1/operations/${failed.id}/retry`, op());
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.notEqual(retried.body.operationId, failed.id);
    const second = await adminWait(retried.body.operationId);
    assert.equal(second.status, 'succeeded', second.error);
    assert.equal(second.type, 'create-database');
    const db = (await stack.request('GET', `/v1/databases/${res.body.id}`, { key: tenant.key })).body;
    assert.equal(db.status, 'running');

    // The old failure is history now: not retryable, and a second retry is refused.
    const again = (await stack.request('GET', '/admin/v1/operations?status=failed', op())).body;
    assert.equal(again.find((o: any) => o.id === failed.id).retryable, false);
    const refused = await stack.request('POST', `/admin/v1/operations/${failed.id}/retry`, op());
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /ran on this database after this one/);
    const notFailed = await stack.request('POST', `/admin/v1/operations/${second.id}/retry`, op());
    assert.equal(notFailed.status, 409);
    assert.match(notFailed.body.message, /only a failed one/);
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal((await stack.request('POST', `/admin/v1/operations/${unknown}/retry`, op())).status, 404);
  });

  test('audit: every operator action with who, what, target and outcome; refused attempts too; no secrets', async () => {
    const t = await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'audited' } });
    assert.equal(t.status, 201);
    const k = await stack.request('POST', `/admin/v1/tenants/${t.body.id}/api-keys`, { ...op(), body: { name: 'ci' } });
    assert.equal(k.status, 201);
    assert.equal((await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'Bad!' } })).status, 400);
    assert.equal(
      (await stack.request('POST', '/admin/v1/tenants', { key: tenant.key, body: { name: 'sneaky' } })).status,
      403,
    );
    const revoke = await stack.request('DELETE', `/admin/v1/tenants/${t.body.id}/api-keys/${k.body.id}`, op());
    assert.equal(revoke.status, 204);
    // Reads are not actions.
    await stack.request('GET', '/admin/v1/tenants', op());

    // Written after the response: give the hook a moment.
    await new Promise((res) => setTimeout(res, 300));
    const audit = (await stack.request('GET', '/admin/v1/audit?limit=50', op())).body;
    const lines = audit.map((a: any) => `${a.actor.split(':')[0]} ${a.action} ${a.statusCode} ${a.outcome}`);
    assert.deepEqual(lines.slice(0, 5), [
      'operator DELETE /admin/v1/tenants/:id/api-keys/:keyId 204 ok',
      'tenant-key POST /admin/v1/tenants 403 error',
      'operator POST /admin/v1/tenants 400 error',
      'operator POST /admin/v1/tenants/:id/api-keys 201 ok',
      'operator POST /admin/v1/tenants 201 ok',
    ]);
    assert.ok(!audit.some((a: any) => a.method === 'GET'));
    assert.equal(audit[0].target, k.body.id);
    assert.equal(audit[3].target, t.body.id);
    assert.deepEqual(audit[3].detail, { name: 'ci' });
    assert.ok(!JSON.stringify(audit).includes(k.body.key), 'the issued key is never in the audit log');
    assert.ok(audit.some((a: any) => a.action === 'POST /admin/v1/operations/:id/retry' && a.statusCode === 202));
    const mine = (await stack.request('GET', `/admin/v1/audit?target=${t.body.id}`, op())).body;
    assert.equal(mine.length, 1);
    assert.equal((await stack.request('GET', '/admin/v1/audit?limit=0', op())).status, 400);
    // Every admin list takes the same ?limit= (1 to 1000).
    for (const list of ['operations', 'events', 'failovers']) {
      assert.equal((await stack.request('GET', `/admin/v1/${list}?limit=1001`, op())).status, 400, list);
      assert.equal((await stack.request('GET', `/admin/v1/${list}?limit=2`, op())).status, 200, list);
    }
  });

  test('the console is served at /console/, locked to its own origin', async () => {
    const redirect = await fetch(`${stack.apiUrl}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/console/');
    const built = existsSync(resolve(__dirname, '../../dist/console/index.html'));
    const page = await fetch(`${stack.apiUrl}/console/`);
    if (!built) {
      assert.equal(page.status, 503);
      return;
    }
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    const html = await page.text();
    // Inline data: URIs (the empty favicon) load nothing; everything else must come from /console/.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((a) => !a.startsWith('data:'));
    assert.ok(assets.length > 0);
    for (const a of assets) {
      assert.ok(a.startsWith('/console/'), `${a} is served locally`);
      assert.equal((await fetch(`${stack.apiUrl}${a}`)).status, 200, a);
    }
  });
});
