import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { Stack } from '../support/stack';

/**
 * Refused at the door: a request that can never succeed (an engine version whose image the registry does not
 * hold, a plan larger than any host can give one container) is a 422 with the reason, and leaves no database,
 * no operation and no job behind. The offer lists (`GET /v1/engines`, `GET /v1/plans`) show only what can run.
 * Real registry (127.0.0.1:5000, with the images scripts/images/build.sh pushes), real local host.
 */
describe('admission: what cannot run is refused before anything is created', () => {
  const backupRoot = mkdtempSync(join(tmpdir(), 'dbaas-admission-backups-'));
  const stack = new Stack({ name: 'admission', env: { BACKUP_TARGET: `local:${backupRoot}` } });
  let key = '';
  let redis: Redis;
  let dbId = '';
  let backupId = '';

  /** Rows and queued jobs: a refused request changes none of them. */
  const state = async () => {
    const [{ databases }] = await stack.metadata(`SELECT count(*)::int AS databases FROM databases`);
    const [{ operations }] = await stack.metadata(`SELECT count(*)::int AS operations FROM operations`);
    // Bull keeps a hash per job, keyed by the job id (the operation id).
    const jobs = (await redis.keys(`${stack.env.QUEUE_PREFIX}:databases:*`))
      .filter((k) => /:[0-9a-f-]{36}$/.test(k))
      .sort();
    return { databases, operations, jobs };
  };
  const refused = async (method: string, path: string, body: unknown, ...reasons: RegExp[]) => {
    const before = await state();
    const res = await stack.request(method, path, { key, body });
    assert.equal(res.status, 422, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'Unprocessable Entity');
    for (const r of reasons) assert.match(res.body.message, r);
    assert.deepEqual(await state(), before, `${method} ${path} changed nothing`);
    return res.body.message as string;
  };

  before(async () => {
    await stack.start();
    redis = new Redis(stack.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    key = (await stack.tenant('door')).key;
  });
  after(async () => {
    redis?.disconnect();
    await stack.stop();
    rmSync(backupRoot, { recursive: true, force: true });
  });

  test('GET /v1/engines: the engines and versions whose images the registry holds', async () => {
    const res = await stack.request('GET', '/v1/engines', { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // What scripts/images/build.sh builds and pushes here; MySQL and MongoDB cannot be built on this machine.
    assert.deepEqual(res.body, [
      { engine: 'postgresql', versions: ['15'], defaultVersion: '15' },
      { engine: 'mariadb', versions: ['10.11'], defaultVersion: '10.11' },
      { engine: 'redis', versions: ['7.0'], defaultVersion: '7.0' },
    ]);
    assert.equal((await stack.request('GET', '/v1/engines')).status, 401);
    const doc = (await stack.request('GET', '/docs/openapi.json')).body;
    assert.ok(doc.paths['/v1/engines']?.get, 'documented in the OpenAPI document');
  });

  test('GET /v1/plans: only the plans one active host can hold (xlarge asks for more CPUs than it has)', async () => {
    const hosts = (await stack.request('GET', '/admin/v1/hosts', { key: stack.operatorKey })).body;
    const local = hosts.find((h: any) => h.name === 'local');
    assert.ok(local.capacity.cpus < 4, `this machine has ${local.capacity.cpus} cores`);
    const plans = (await stack.request('GET', '/v1/plans', { key })).body;
    const names = plans.map((p: any) => p.name);
    assert.ok(names.includes('small') && names.includes('medium'), JSON.stringify(names));
    assert.ok(!names.includes('xlarge'), JSON.stringify(names));
    for (const p of plans) {
      assert.ok(p.cpus <= local.capacity.cpus, JSON.stringify(p));
      assert.ok(p.memoryMb <= local.capacity.memoryMb, JSON.stringify(p));
      assert.ok(p.diskGb <= local.capacity.diskGb, JSON.stringify(p));
    }
  });

  test('create: a version whose image the registry does not have → 422 naming the image', async () => {
    // PostgreSQL 16 is in the catalogue, but only 15 was built and pushed here.
    await refused(
      'POST',
      '/v1/databases',
      { name: 'sixteen', engine: 'postgresql', version: '16', plan: 'small' },
      /127\.0\.0\.1:5000\/library\/postgres:16/,
      /GET \/v1\/engines/,
    );
    // The default versions of engines whose images are not in the registry at all.
    await refused('POST', '/v1/databases', { name: 'my-sql', engine: 'mysql', plan: 'small' }, /library\/mysql:8\.4/);
    await refused('POST', '/v1/databases', { name: 'mongo', engine: 'mongodb', plan: 'small' }, /library\/mongo:7\.0/);
    // A version outside the catalogue stays a 400 (invalid input, not a missing image).
    const bad = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'pg-nine', engine: 'postgresql', version: '9', plan: 'small' },
    });
    assert.equal(bad.status, 400);
  });

  test('create: a plan larger than any host can give one container → 422 naming the plan and what is short', async () => {
    await refused(
      'POST',
      '/v1/databases',
      { name: 'huge', engine: 'postgresql', plan: 'xlarge' },
      /plan "xlarge"/,
      /4 CPUs/,
      /local/,
    );
  });

  test('resize, clone and restore to such a plan → 422; the database keeps its plan, no operation starts', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key,
      body: { name: 'cache', engine: 'redis', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    // The job check sees jobs: an accepted request's job is there.
    assert.ok((await state()).jobs.some((k) => k.endsWith(`:${res.body.operationId}`)));
    assert.equal((await stack.waitOperation(key, res.body.operationId, 180_000)).status, 'succeeded');
    const backup = await stack.request('POST', `/v1/databases/${dbId}/backups`, { key });
    assert.equal(backup.status, 202, JSON.stringify(backup.body));
    backupId = backup.body.id;
    assert.equal((await stack.waitOperation(key, backup.body.operationId, 180_000)).status, 'succeeded');

    await refused('POST', `/v1/databases/${dbId}/resize`, { plan: 'xlarge' }, /plan "xlarge"/, /4 CPUs/);
    const db = (await stack.request('GET', `/v1/databases/${dbId}`, { key })).body;
    assert.equal(db.plan, 'small');
    assert.equal(db.status, 'running');
    await refused('POST', `/v1/databases/${dbId}/clones`, { name: 'cache-copy', plan: 'xlarge' }, /plan "xlarge"/);
    await refused(
      'POST',
      `/v1/databases/${dbId}/backups/${backupId}/restore`,
      { name: 'cache-back', plan: 'xlarge' },
      /plan "xlarge"/,
    );
    await refused('POST', `/v1/backups/${backupId}/restore`, { name: 'cache-back', plan: 'xlarge' }, /plan "xlarge"/);
  });

  test('what fits still goes through: a resize to a plan the host can hold is accepted', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/resize`, { key, body: { plan: 'medium' } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await stack.waitOperation(key, res.body.operationId)).status, 'succeeded');
    assert.equal((await stack.request('GET', `/v1/databases/${dbId}`, { key })).body.plan, 'medium');
  });
});
