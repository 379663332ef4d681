import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { Stack } from '../support/stack';

async function query(uri: string, sql: string, params: unknown[] = []) {
  const c = new Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgreSQL through the tenant API, end to end', () => {
  // The API and worker inherit umask 077, as from a new user's restrictive shell: nothing may depend on it.
  const stack = new Stack({ name: 'postgresql', umask: '077' });
  let tenant: { id: string; key: string };
  let dbId = '';
  let creds: { uri: string; password: string; username: string; host: string; port: number };

  before(async () => {
    await stack.start();
    tenant = await stack.tenant('acme');
  });
  after(() => stack.stop());

  test('create: 202 with an operation that reaches succeeded, then the database is running', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'orders', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'provisioning');
    dbId = res.body.id;
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.progress, 100);
    const db = await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(db.status, 200);
    assert.equal(db.body.status, 'running');
    assert.equal(db.body.engine, 'postgresql');
    assert.equal(db.body.plan, 'small');
    assert.equal(db.body.endpoint.host, '127.0.0.1');
    const containers = await stack.containersOf(dbId);
    assert.equal(containers.length, 1);
    // CPU and memory limits come from the plan (small: 0.5 CPU, 512 MiB).
    const info = await stack.docker.getContainer(containers[0].Id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 0.5e9);
    assert.equal(info.HostConfig.Memory, 512 * 2 ** 20);
    const vol = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [dbId]);
    assert.ok(existsSync(join(vol[0].path, 'pgdata', 'PG_VERSION')), 'the data lives on the volume');
    // The volume's root has the platform's mode, not the umask's: the engine drops to its own user in it.
    assert.equal((statSync(vol[0].path).mode & 0o777).toString(8), '755');
  });

  test('credentials: connect with the returned URI, write a row', async () => {
    const res = await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key });
    assert.equal(res.status, 200);
    creds = res.body;
    assert.ok(creds.password.length >= 32);
    await query(creds.uri, 'CREATE TABLE t (id int primary key, v text)');
    await query(creds.uri, `INSERT INTO t VALUES (1, 'kept across restarts')`);
  });

  test('the password is stored encrypted, not in clear', async () => {
    const rows = await stack.metadata('SELECT password FROM databases WHERE id = $1', [dbId]);
    assert.ok(rows[0].password.startsWith('v1:'));
    assert.ok(!rows[0].password.includes(creds.password));
  });

  test('restart: the row is still there afterwards', async () => {
    const before = (await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect()).State.StartedAt;
    const res = await stack.request('POST', `/v1/databases/${dbId}/restart`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const afterStart = (await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect()).State
      .StartedAt;
    assert.notEqual(afterStart, before, 'the container really restarted');
    const rows = await query(creds.uri, 'SELECT v FROM t WHERE id = 1');
    assert.deepEqual(rows, [{ v: 'kept across restarts' }]);
  });

  test('the volume is reported with its driver, size and measured usage', async () => {
    const deadline = Date.now() + 20_000;
    let volume: { driver: string; sizeGb: number; usedBytes: number | null } | null = null;
    while (Date.now() < deadline) {
      volume = (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body.volume;
      if (volume?.usedBytes) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(volume?.driver, 'directory');
    assert.equal(volume?.sizeGb, 1);
    // An initialised PostgreSQL cluster is tens of megabytes.
    assert.ok((volume?.usedBytes ?? 0) > 10 * 2 ** 20, String(volume?.usedBytes));
  });

  test('logs: the container log tail', async () => {
    const res = await stack.request('GET', `/v1/databases/${dbId}/logs?tail=5`, { key: tenant.key });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body.lines));
    assert.ok(res.body.lines.length > 0 && res.body.lines.length <= 5);
  });

  test('rotate-password: the old password is refused, the new one works', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/rotate-password`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const fresh = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    assert.notEqual(fresh.password, creds.password);
    await assert.rejects(query(creds.uri, 'SELECT 1'), /password authentication failed/);
    assert.deepEqual(await query(fresh.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
    creds = fresh;
  });

  test('resize: new CPU and memory limits on the running container', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/resize`, {
      key: tenant.key,
      body: { plan: 'medium' },
    });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const info = await stack.docker.getContainer((await stack.containersOf(dbId))[0].Id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 1e9);
    assert.equal(info.HostConfig.Memory, 1024 * 2 ** 20);
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body.plan, 'medium');
    assert.deepEqual(await query(creds.uri, 'SELECT v FROM t WHERE id = 1'), [{ v: 'kept across restarts' }]);
  });

  test('delete: container, volume and secrets are gone', async () => {
    const vol = (await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [dbId]))[0].path;
    const res = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal((await stack.containersOf(dbId)).length, 0);
    assert.equal(existsSync(vol), false);
    const row = (
      await stack.metadata('SELECT status, password, admin_password FROM databases WHERE id = $1', [dbId])
    )[0];
    assert.deepEqual(row, { status: 'deleted', password: null, admin_password: null });
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).status, 404);
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).status, 404);
    // The name is free again.
    const again = await stack.request('GET', '/v1/databases', { key: tenant.key });
    assert.deepEqual(again.body, []);
  });
});
