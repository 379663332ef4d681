import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { Stack } from '../support/stack';

/**
 * The API defends itself: rate limits per key and per address (429 with Retry-After, shared through Redis),
 * refused requests audited without their body, operator keys that can be issued and revoked, tenant actions
 * in the audit log.
 */
describe('the API defends itself', () => {
  // A per-key limit low enough to reach in a test; the per-address limit is the default.
  const PER_KEY = 60;
  const stack = new Stack({ name: 'api-defence', startWorker: false, env: { RATE_LIMIT_PER_KEY: String(PER_KEY) } });
  const op = () => ({ key: stack.operatorKey });
  let tenant: { id: string; key: string };
  let other: { id: string; key: string };

  const audit = async (sql = 'TRUE', params: unknown[] = []) => {
    // Written after the response: give the hook a moment.
    await new Promise((res) => setTimeout(res, 300));
    return stack.metadata(`SELECT * FROM audit_entries WHERE ${sql} ORDER BY created_at`, params);
  };

  before(async () => {
    await stack.start();
    tenant = await stack.tenant('defended');
    other = await stack.tenant('bystander');
  });
  after(() => stack.stop());

  test('an anonymous 200 KB body is refused and only the refusal is audited, not the payload', async () => {
    const big = { name: 'flood', blob: 'x'.repeat(200 * 1024) };
    const res = await stack.request('POST', '/admin/v1/tenants', { body: big });
    assert.equal(res.status, 401);
    const rows = await audit(`actor = 'anonymous'`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status_code, 401);
    assert.equal(rows[0].path, '/admin/v1/tenants');
    assert.ok(JSON.stringify(rows[0].detail).length < 200, `detail kept small: ${JSON.stringify(rows[0].detail)}`);
    assert.ok(!JSON.stringify(rows[0].detail).includes('flood'), 'no payload');
    assert.equal(rows[0].detail.address, '127.0.0.1');
  });

  test('an authenticated write is audited with its secrets masked and its body bounded', async () => {
    const res = await stack.request('POST', '/admin/v1/tenants', {
      ...op(),
      body: { name: 'x'.repeat(10), password: 'hunter2', extra: Array.from({ length: 50 }, () => 'y'.repeat(400)) },
    });
    assert.equal(res.status, 400);
    const [row] = await audit(`actor LIKE 'operator:%' AND status_code = 400`);
    const detail = JSON.stringify(row.detail);
    assert.ok(detail.length <= 4096, `bounded: ${detail.length} chars`);
    assert.ok(!detail.includes('hunter2'));
  });

  test('tenant actions are in the audit log, with the tenant key as actor', async () => {
    const [key] = await stack.metadata(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenant.id]);
    const created = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'audited', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const removed = await stack.request('DELETE', `/v1/databases/${created.body.id}`, { key: tenant.key });
    assert.ok([202, 409].includes(removed.status), JSON.stringify(removed.body));
    const rows = await audit(`actor = $1`, [`tenant-key:${key.id}`]);
    assert.deepEqual(
      rows.map((r) => `${r.action} ${r.target ?? '-'}`),
      [`POST /v1/databases -`, `DELETE /v1/databases/:id ${created.body.id}`],
    );
    assert.deepEqual(rows[0].detail, { name: 'audited', engine: 'postgresql', plan: 'small' });
  });

  test('operator keys: listed, issued (shown once), revoked (then 401 at once); the bootstrap key keeps working', async () => {
    const issued = await stack.request('POST', '/admin/v1/operator-keys', { ...op(), body: { name: 'alice' } });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.match(issued.body.key, /^dbk_/);
    const alice = issued.body.key;
    assert.equal((await stack.request('GET', '/admin/v1/tenants', { key: alice })).status, 200);

    const list = await stack.request('GET', '/admin/v1/operator-keys', op());
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((k: any) => k.name).sort(), ['alice', 'bootstrap']);
    assert.ok(!JSON.stringify(list.body).includes(alice), 'a key is shown once, at issue');
    const [stored] = await stack.metadata(`SELECT key_hash FROM api_keys WHERE id = $1`, [issued.body.id]);
    assert.ok(!stored.key_hash.includes(alice.slice(8)), 'stored hashed');

    // Alice's key revokes itself? No: the bootstrap key revokes Alice's.
    const revoked = await stack.request('DELETE', `/admin/v1/operator-keys/${issued.body.id}`, op());
    assert.equal(revoked.status, 204);
    assert.equal((await stack.request('GET', '/admin/v1/tenants', { key: alice })).status, 401);
    assert.equal((await stack.request('GET', '/admin/v1/tenants', op())).status, 200);
    const again = await stack.request('DELETE', `/admin/v1/operator-keys/${issued.body.id}`, op());
    assert.equal(again.status, 404);
    // The last active operator key stays: without it nobody could call the admin API again.
    const bootstrap = list.body.find((k: any) => k.name === 'bootstrap');
    assert.equal((await stack.request('DELETE', `/admin/v1/operator-keys/${bootstrap.id}`, op())).status, 409);
    // A tenant key is not an operator key: not listed here, not revocable here.
    const [tk] = await stack.metadata(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenant.id]);
    assert.equal((await stack.request('DELETE', `/admin/v1/operator-keys/${tk.id}`, op())).status, 404);
    assert.equal((await stack.request('GET', '/admin/v1/operator-keys', { key: tenant.key })).status, 403);
    const rows = await audit(`action LIKE '% /admin/v1/operator-keys%'`);
    assert.deepEqual(
      rows.map((r) => `${r.action} ${r.status_code}`),
      [
        'POST /admin/v1/operator-keys 201',
        'DELETE /admin/v1/operator-keys/:keyId 204',
        'DELETE /admin/v1/operator-keys/:keyId 404',
        'DELETE /admin/v1/operator-keys/:keyId 409',
        'DELETE /admin/v1/operator-keys/:keyId 404',
      ],
    );
    assert.ok(!JSON.stringify(rows).includes(alice), 'the issued key is never in the audit log');
  });

  test('a key over its limit gets 429 with Retry-After; another key is unaffected', async () => {
    let limitedAt = 0;
    let retryAfter: string | null = null;
    for (let i = 1; i <= PER_KEY + 10; i++) {
      const res = await fetch(`${stack.apiUrl}/v1/databases`, { headers: { authorization: `Bearer ${tenant.key}` } });
      await res.text();
      if (res.status === 429) {
        limitedAt = i;
        retryAfter = res.headers.get('retry-after');
        break;
      }
      assert.equal(res.status, 200);
    }
    assert.ok(limitedAt > 0 && limitedAt <= PER_KEY + 1, `limited at request ${limitedAt}`);
    assert.ok(Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
    // The counters are in Redis: another replica refuses the same key at once.
    const replica = await stack.startApiReplica();
    assert.equal((await stack.request('GET', '/v1/databases', { key: tenant.key, apiUrl: replica })).status, 429);
    assert.equal((await stack.request('GET', '/v1/databases', { key: other.key, apiUrl: replica })).status, 200);
    // Under this stack's prefix, named by key id, never by the secret.
    const redis = new Redis(stack.env.REDIS_URL);
    const counters = await redis.keys(`${stack.env.QUEUE_PREFIX}:rate:*`);
    await redis.quit();
    const [key] = await stack.metadata(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenant.id]);
    assert.ok(
      counters.some((k) => k.includes(`key:${key.id}`)),
      counters.join(' '),
    );
    assert.ok(!counters.some((k) => k.includes(tenant.key)), 'no secret in a counter name');
    assert.equal((await stack.request('GET', '/v1/databases', { key: other.key })).status, 200);
    assert.equal((await stack.request('GET', '/admin/v1/tenants', op())).status, 200);
  });

  test('200 wrong keys from one address reach 429 with Retry-After, and only refusals are audited', async (t) => {
    const before = (await audit()).length;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${stack.apiUrl}/admin/v1/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer dbk_wrong${i}${'0'.repeat(30)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `guess-${i}` }),
      });
      await res.text();
      statuses.push(res.status);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
    }
    const first429 = statuses.indexOf(429);
    t.diagnostic(`wrong keys: ${first429} × 401, then ${200 - first429} × 429 (Retry-After: ${retryAfter} s)`);
    assert.ok(first429 > 0 && first429 < 199, `first 429 at ${first429}: ${statuses.join(',')}`);
    assert.ok(
      statuses.slice(first429).every((s) => s === 429),
      'once limited, the address stays limited',
    );
    assert.ok(Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
    const rows = (await audit()).slice(before);
    assert.ok(rows.length <= first429, `${rows.length} audit rows for ${first429} refusals`);
    assert.ok(rows.every((r) => r.actor === 'anonymous' && r.status_code === 401 && !('name' in r.detail)));
    const [tenants] = await stack.metadata(`SELECT count(*)::int AS n FROM tenants WHERE name LIKE 'guess-%'`);
    assert.equal(tenants.n, 0);
    // A valid key is still served from the same address.
    assert.equal((await stack.request('GET', '/v1/databases', { key: other.key })).status, 200);
  });
});
