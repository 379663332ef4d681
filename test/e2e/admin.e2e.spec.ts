import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

describe('admin API, health, metrics and docs', () => {
  const stack = new Stack({ name: 'admin', startWorker: false });
  const op = () => ({ key: stack.operatorKey });

  before(() => stack.start());
  after(() => stack.stop());

  test('healthz answers without a key', async () => {
    const res = await stack.request('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.checks, { postgres: 'ok', redis: 'ok' });
  });

  test('tenants: create, list, duplicate → 409, bad name → 400', async () => {
    const t = await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'gamma' } });
    assert.equal(t.status, 201);
    assert.equal((await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'gamma' } })).status, 409);
    assert.equal(
      (await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'Bad Name;' } })).status,
      400,
    );
    const list = await stack.request('GET', '/admin/v1/tenants', op());
    assert.deepEqual(
      list.body.map((x: { name: string }) => x.name),
      ['gamma'],
    );
  });

  test('API keys: shown once, stored hashed, revocable', async () => {
    const t = (await stack.request('POST', '/admin/v1/tenants', { ...op(), body: { name: 'delta' } })).body;
    const k = await stack.request('POST', `/admin/v1/tenants/${t.id}/api-keys`, { ...op(), body: { name: 'ci' } });
    assert.equal(k.status, 201);
    assert.match(k.body.key, /^dbk_[A-Za-z0-9_-]{43}$/);
    const stored = await stack.metadata('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [k.body.id]);
    assert.equal(stored[0].key_hash.length, 64);
    assert.ok(!JSON.stringify(stored).includes(k.body.key));
    const listed = await stack.request('GET', `/admin/v1/tenants/${t.id}/api-keys`, op());
    assert.ok(!JSON.stringify(listed.body).includes(k.body.key), 'a listed key never shows the secret');
    assert.equal((await stack.request('GET', '/v1/databases', { key: k.body.key })).status, 200);
    assert.equal((await stack.request('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${k.body.id}`, op())).status, 204);
    // Revocation takes effect within the auth cache's few seconds.
    const deadline = Date.now() + 8000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await stack.request('GET', '/v1/databases', { key: k.body.key })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 401);
    assert.equal(
      (
        await stack.request('POST', `/admin/v1/tenants/00000000-0000-4000-8000-000000000000/api-keys`, {
          ...op(),
          body: {},
        })
      ).status,
      404,
    );
  });

  test('hosts: the embedded local host is registered; register, validate, never echo the SSH key, delete', async () => {
    const list = await stack.request('GET', '/admin/v1/hosts', op());
    assert.equal(list.status, 200);
    const local = list.body.find((h: { name: string }) => h.name === 'local');
    assert.equal(local.connection, 'local');
    assert.equal(local.dataRoot, stack.dataRoot);
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretmaterial\n-----END OPENSSH PRIVATE KEY-----\n';
    const body = {
      name: 'db-host-2',
      address: '10.1.2.3',
      sshUser: 'deploy',
      sshPrivateKey: key,
      labels: { rack: 'r1', hypervisor: 'hv-2' },
      capacity: { cpus: 16, memoryMb: 65536, diskGb: 2000 },
    };
    const created = await stack.request('POST', '/admin/v1/hosts', { ...op(), body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.hasSshKey, true);
    assert.ok(!JSON.stringify(created.body).includes('secretmaterial'));
    const got = await stack.request('GET', `/admin/v1/hosts/${created.body.id}`, op());
    assert.ok(!JSON.stringify(got.body).includes('secretmaterial'));
    const sealed = await stack.metadata('SELECT ssh_private_key FROM hosts WHERE id = $1', [created.body.id]);
    assert.ok(sealed[0].ssh_private_key.startsWith('v1:') && !sealed[0].ssh_private_key.includes('secretmaterial'));
    assert.equal((await stack.request('POST', '/admin/v1/hosts', { ...op(), body })).status, 409);
    for (const bad of [
      { ...body, name: 'h; reboot' },
      { ...body, name: 'other', address: '10.0.0.1; rm -rf /' },
      { ...body, name: 'other', labels: { rack: '$(reboot)' } },
      { ...body, name: 'other', capacity: { cpus: -1, memoryMb: 1, diskGb: 1 } },
      { ...body, name: 'other', dataRoot: '../../etc' },
      { ...body, name: 'other', sshPort: 70000 },
      { ...body, name: 'other', extra: 1 },
    ]) {
      const r = await stack.request('POST', '/admin/v1/hosts', { ...op(), body: bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal((await stack.request('DELETE', `/admin/v1/hosts/${created.body.id}`, op())).status, 204);
    assert.equal((await stack.request('GET', `/admin/v1/hosts/${created.body.id}`, op())).status, 404);
  });

  test('metrics: Prometheus text with request and job counters', async () => {
    await stack.request('GET', '/v1/plans', { key: null });
    const res = await stack.request('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.body, /dbaas_http_requests_total\{method="GET",route="\/v1\/plans",status="401"\} \d+/);
    assert.match(res.body, /dbaas_queue_jobs\{queue="databases",state="waiting"\} \d+/);
    assert.match(res.body, /# TYPE dbaas_jobs_total counter/);
    assert.match(res.body, /# TYPE dbaas_operations gauge/);
  });

  test('OpenAPI document at /docs', async () => {
    const doc = await stack.request('GET', '/docs/openapi.json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/v1/databases']);
    assert.ok(doc.body.paths['/admin/v1/hosts']);
    const create = doc.body.components.schemas.CreateDatabaseDto;
    assert.ok(create?.properties?.name, 'the create body is documented');
    const ui = await stack.request('GET', '/docs');
    assert.equal(ui.status, 200);
  });
});
