import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/** Bad input gets a clear 4xx in the contract's error shape, and changes nothing. */
describe('bad input is refused and creates nothing', () => {
  const stack = new Stack({ name: 'validation' });
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let containersBefore = 0;

  before(async () => {
    await stack.start();
    a = await stack.tenant('tenant-a');
    b = await stack.tenant('tenant-b');
    containersBefore = (await stack.docker.listContainers({ all: true })).length;
  });
  after(() => stack.stop());

  async function nothingCreated() {
    const [dbs] = await stack.metadata('SELECT count(*)::int AS n FROM databases');
    const [ops] = await stack.metadata('SELECT count(*)::int AS n FROM operations');
    const [vols] = await stack.metadata('SELECT count(*)::int AS n FROM volumes');
    assert.deepEqual([dbs.n, ops.n, vols.n], [0, 0, 0]);
    assert.equal((await stack.docker.listContainers({ all: true })).length, containersBefore);
  }

  function assertErrorShape(body: any, status: number) {
    assert.equal(body.statusCode, status);
    assert.equal(typeof body.error, 'string');
    assert.ok(typeof body.message === 'string' || Array.isArray(body.message));
    assert.ok(!JSON.stringify(body).includes('    at '), 'no stack trace');
  }

  const badNames = [
    '; rm -rf /',
    '$(id)',
    "it's",
    '"quoted"',
    '`id`',
    'a'.repeat(41),
    'ab',
    'Upper',
    '1starts-with-digit',
    'has space',
    'x/../../etc',
    '',
  ];
  for (const name of badNames) {
    test(`name ${JSON.stringify(name)} → 400`, async () => {
      const res = await stack.request('POST', '/v1/databases', {
        key: a.key,
        body: { name, engine: 'postgresql', plan: 'small' },
      });
      assert.equal(res.status, 400);
      assertErrorShape(res.body, 400);
      assert.match(JSON.stringify(res.body.message), /name/);
      await nothingCreated();
    });
  }

  test('a 40-character name is accepted by validation (boundary), unknown plan still refused', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'a'.repeat(40), engine: 'postgresql', plan: 'no-such-plan' },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /plan "no-such-plan" does not exist/);
    await nothingCreated();
  });

  test("a name that would be the engine's or the platform's own account → 400", async () => {
    for (const [name, engine] of [
      ['dbaas-admin', 'postgresql'],
      // PostgreSQL keeps every role name that starts with pg_ (the worker failed on it at create).
      ['pg-reports', 'postgresql'],
      ['root', 'mariadb'],
      ['dbaas-admin', 'mongodb'],
    ]) {
      const res = await stack.request('POST', '/v1/databases', { key: a.key, body: { name, engine, plan: 'small' } });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assertErrorShape(res.body, 400);
      assert.match(res.body.message, /keeps for itself or the platform; choose another/);
    }
    await nothingCreated();
  });

  test('unknown engine → 400 naming the engines', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'ok-name', engine: 'oracle', plan: 'small' },
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body.message), /engine must be one of: postgresql, mysql, mariadb, redis, mongodb/);
    await nothingCreated();
  });

  test('unsupported version → 400 listing the offered ones', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'ok-name', engine: 'postgresql', version: '9', plan: 'small' },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /choose one of: 15, 16, 17/);
    await nothingCreated();
  });

  test('ha modes without HA storage → 422 with the reason', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'ok-name', engine: 'postgresql', plan: 'small', ha: 'drbd' },
    });
    assert.equal(res.status, 422);
    await nothingCreated();
  });

  test('unknown field → 400', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'ok-name', engine: 'postgresql', plan: 'small', privileged: true },
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body.message), /property privileged should not exist/);
    await nothingCreated();
  });

  test('malformed JSON and wrong types → 400', async () => {
    const bad = await stack.request('POST', '/v1/databases', { key: a.key, raw: '{"name": "x",' });
    assert.equal(bad.status, 400);
    assertErrorShape(bad.body, 400);
    const types = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 42, engine: ['postgresql'], plan: null },
    });
    assert.equal(types.status, 400);
    await nothingCreated();
  });

  // Most scripts set the JSON content type on every call, bodiless ones included.
  test('an empty body with a JSON content type is an empty body, not a 400', async () => {
    const json = { 'content-type': 'application/json' };
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['DELETE', `/v1/databases/${missing}`],
      ['POST', `/v1/databases/${missing}/restart`],
    ]) {
      const res = await stack.request(method, path, { key: a.key, raw: '', headers: json });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    const charset = await stack.request('DELETE', `/v1/databases/${missing}`, {
      key: a.key,
      raw: '',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(charset.status, 404, JSON.stringify(charset.body));
    // A create still needs its fields: the empty body reaches validation, which names them.
    const create = await stack.request('POST', '/v1/databases', { key: a.key, raw: '', headers: json });
    assert.equal(create.status, 400);
    assert.match(JSON.stringify(create.body.message), /name/);
    await nothingCreated();
  });

  test('missing or wrong key → 401; operator key on the tenant API → 403; tenant key on admin → 403', async () => {
    assert.equal((await stack.request('GET', '/v1/databases', { key: null })).status, 401);
    const wrong = await stack.request('GET', '/v1/databases', { key: 'dbk_' + 'x'.repeat(43) });
    assert.equal(wrong.status, 401);
    assertErrorShape(wrong.body, 401);
    assert.equal(
      (
        await stack.request('POST', '/v1/databases', {
          key: 'nope',
          body: { name: 'abc', engine: 'redis', plan: 'small' },
        })
      ).status,
      401,
    );
    assert.equal((await stack.request('GET', '/v1/databases', { key: stack.operatorKey })).status, 403);
    assert.equal((await stack.request('GET', '/admin/v1/tenants', { key: a.key })).status, 403);
    await nothingCreated();
  });

  test("another tenant's database is a 404 on every route, and a malformed id too", async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'mine', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202);
    const id = res.body.id;
    for (const [method, path] of [
      ['GET', `/v1/databases/${id}`],
      ['GET', `/v1/databases/${id}/credentials`],
      ['GET', `/v1/databases/${id}/logs`],
      ['POST', `/v1/databases/${id}/restart`],
      ['POST', `/v1/databases/${id}/rotate-password`],
      ['DELETE', `/v1/databases/${id}`],
      ['GET', `/v1/operations/${res.body.operationId}`],
      ['GET', `/v1/databases/not-a-uuid`],
    ]) {
      const r = await stack.request(method, path, { key: b.key });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'message', 'statusCode']);
    }
    assert.deepEqual((await stack.request('GET', '/v1/databases', { key: b.key })).body, []);
    const [row] = await stack.metadata('SELECT status FROM databases WHERE id = $1', [id]);
    assert.notEqual(row.status, 'deleting', "b's DELETE changed nothing");
    // Clean up a's database.
    const del = await stack.request('DELETE', `/v1/databases/${id}`, { key: a.key });
    assert.equal(del.status, 202);
    await stack.waitOperation(a.key, del.body.operationId);
  });

  test('duplicate name → 409; bad logs tail → 400; resize to an unknown plan → 400', async () => {
    const first = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'dup', engine: 'redis', plan: 'small' },
    });
    assert.equal(first.status, 202);
    const dup = await stack.request('POST', '/v1/databases', {
      key: a.key,
      body: { name: 'dup', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(dup.status, 409);
    assert.match(dup.body.message, /already exists/);
    // Another tenant may use the same name.
    const other = await stack.request('POST', '/v1/databases', {
      key: b.key,
      body: { name: 'dup', engine: 'redis', plan: 'small' },
    });
    assert.equal(other.status, 202);
    assert.equal(
      (await stack.request('GET', `/v1/databases/${first.body.id}/logs?tail=0`, { key: a.key })).status,
      400,
    );
    assert.equal(
      (await stack.request('GET', `/v1/databases/${first.body.id}/logs?tail=abc`, { key: a.key })).status,
      400,
    );
    assert.equal(
      (await stack.request('GET', `/v1/databases/${first.body.id}/logs?tail=5&x=1`, { key: a.key })).status,
      400,
    );
    const resize = await stack.request('POST', `/v1/databases/${first.body.id}/resize`, {
      key: a.key,
      body: { plan: 'gigantic' },
    });
    assert.equal(resize.status, 400);
    for (const [k, id, op] of [
      [a.key, first.body.id, first.body.operationId],
      [b.key, other.body.id, other.body.operationId],
    ]) {
      await stack.waitOperation(k, op);
      const del = await stack.request('DELETE', `/v1/databases/${id}`, { key: k });
      await stack.waitOperation(k, del.body.operationId);
    }
  });
});
