import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/**
 * Placement through the real API: packing, overcommit set by operators, drained hosts, a 503 that says what is
 * short, N+1 and the rebalancer's proposal. The hosts are registered SSH hosts that are never contacted (no
 * worker runs): placement is decided when the database is requested.
 */
describe('placement, overcommit, N+1 and rebalancing through the admin API', () => {
  const stack = new Stack({ name: 'placement', startWorker: false });
  const op = () => ({ key: stack.operatorKey });
  const hosts: Record<string, string> = {};
  let t1 = '';
  let t2 = '';

  const hostOf = async (dbId: string) => {
    const [row] = await stack.metadata(
      'SELECT h.name FROM databases d JOIN hosts h ON h.id = d.host_id WHERE d.id = $1',
      [dbId],
    );
    return row.name as string;
  };
  const register = async (name: string, rack: string, capacity: { cpus: number; memoryMb: number; diskGb: number }) =>
    (await stack.registerUnreachableHost(name, { labels: { rack }, capacity })).id as string;
  const create = (key: string, name: string, plan: string) =>
    stack.request('POST', '/v1/databases', { key, body: { name, engine: 'postgresql', plan } });

  before(async () => {
    await stack.start();
    t1 = (await stack.tenant('one')).key;
    t2 = (await stack.tenant('two')).key;
    for (const [name, rack] of [
      ['big-a', 'r1'],
      ['big-b', 'r2'],
      ['big-c', 'r3'],
    ])
      // 4 cores: one xlarge container gets its 4 CPUs (overcommit shares cores, it cannot add any).
      hosts[name] = await register(name, rack, { cpus: 4, memoryMb: 4096, diskGb: 100 });
    // The control plane's own host takes nothing here: only the three registered hosts are in play.
    const local = (await stack.request('GET', '/admin/v1/hosts', op())).body.find((h: any) => h.name === 'local');
    assert.equal((await stack.request('POST', `/admin/v1/hosts/${local.id}/drain`, op())).status, 202);
  });
  after(() => stack.stop());

  test('settings: defaults, validated changes (400 changes nothing), recorded with who changed them', async () => {
    const s = (await stack.request('GET', '/admin/v1/placement/settings', op())).body;
    assert.deepEqual(s.overcommit, { cpus: 4, memoryMb: 1, diskGb: 1 });
    assert.deepEqual(s.hotspot, { cpu: 0.75, memory: 0.85 });
    for (const bad of [
      { cpuOvercommit: 0.5 },
      { memoryOvercommit: 5 },
      { hotspotCpu: 2 },
      { other: 1 },
      { diskOvercommit: 'x' },
    ]) {
      const r = await stack.request('PUT', '/admin/v1/placement/settings', { ...op(), body: bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.deepEqual((await stack.request('GET', '/admin/v1/placement/settings', op())).body.overcommit, s.overcommit);
    assert.equal(
      (await stack.request('PUT', '/admin/v1/placement/settings', { key: t1, body: { cpuOvercommit: 8 } })).status,
      403,
    );
  });

  test('packing: databases of two tenants share the first host instead of spreading over empty ones', async () => {
    const a = await create(t1, 'app-one', 'small');
    const b = await create(t2, 'app-two', 'small');
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(await hostOf(a.body.id), 'big-a');
    assert.equal(await hostOf(b.body.id), 'big-a');
  });

  test('no host could hold it even empty: 422 naming the short resource; raising the overcommit makes room', async () => {
    // xlarge: 4 CPUs, 8 GiB, 200 GB. Memory and disk are not overcommitted by default (4 GiB and 100 GB a host):
    // no host will ever take it as things stand, so it is refused (422), not told to come back later (503).
    const refused = await create(t1, 'warehouse', 'xlarge');
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(refused.body.message, /xlarge/);
    assert.match(refused.body.message, /memory|disk/i);
    assert.equal((await stack.metadata(`SELECT 1 FROM databases WHERE name = 'warehouse'`)).length, 0);
    const put = await stack.request('PUT', '/admin/v1/placement/settings', {
      ...op(),
      body: { memoryOvercommit: 2, diskOvercommit: 2 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.match(put.body.updatedBy, /^operator:/);
    const placed = await create(t1, 'warehouse', 'xlarge');
    assert.equal(placed.status, 202, JSON.stringify(placed.body));
    // big-a has 1 GiB promised already: 8 GiB more does not fit there (8 GiB allocatable), an empty host takes it.
    assert.equal(await hostOf(placed.body.id), 'big-b');
  });

  test('a draining host takes nothing', async () => {
    assert.equal((await stack.request('POST', `/admin/v1/hosts/${hosts['big-c']}/drain`, op())).status, 202);
    const res = await create(t2, 'archive', 'xlarge');
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal((await stack.request('POST', `/admin/v1/hosts/${hosts['big-c']}/activate`, op())).status, 201);
    const again = await create(t2, 'archive', 'xlarge');
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(await hostOf(again.body.id), 'big-c');
  });

  test('N+1: the loss of any one host is checked; a full fleet cannot absorb it, and says which database has no place', async () => {
    const res = await stack.request('GET', '/admin/v1/placement/n-plus-one', op());
    assert.equal(res.status, 200);
    const byName = new Map(res.body.map((l: any) => [l.name, l]));
    for (const n of ['big-a', 'big-b', 'big-c']) assert.ok(byName.has(n), n);
    // Losing big-b: its xlarge needs 8 GiB and 200 GB on a survivor; big-a has some promised, big-c is full.
    const b: any = byName.get('big-b');
    assert.equal(b.fits, false);
    assert.deepEqual(
      b.placements.map((p: any) => [p.database, p.to]),
      [['warehouse', null]],
    );
    assert.ok(b.placements[0].reason.length > 0);
    // Losing big-a: its two small databases need 1 GB of disk each, and big-b and big-c are full.
    const a: any = byName.get('big-a');
    assert.equal(a.databases, 2);
    assert.equal(a.fits, false);
    // More room (memory and disk overcommitted 4×): now big-a's small ones have a place.
    await stack.request('PUT', '/admin/v1/placement/settings', {
      ...op(),
      body: { memoryOvercommit: 4, diskOvercommit: 4 },
    });
    const after = (await stack.request('GET', '/admin/v1/placement/n-plus-one', op())).body;
    const a2 = after.find((l: any) => l.name === 'big-a');
    assert.equal(a2.fits, true, JSON.stringify(a2));
    assert.ok(a2.placements.every((p: any) => p.toName === 'big-b' || p.toName === 'big-c'));
  });

  test('rebalance: with nothing measured there is no hotspot and no move; bad proposals are refused', async () => {
    const r = await stack.request('GET', '/admin/v1/placement/rebalance', op());
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.moves, []);
    assert.equal(r.body.measuredSince, null);
    assert.ok(r.body.hosts.every((h: any) => h.hotspot === false));
    const bad = await stack.request('POST', '/admin/v1/placement/rebalance', { ...op(), body: { moves: [] } });
    assert.equal(bad.status, 400);
    const [db] = await stack.metadata(`SELECT id FROM databases WHERE name = 'app-one'`);
    // A move the move rules refuse (its create is still queued: no worker runs here) is reported, not thrown.
    const applied = await stack.request('POST', '/admin/v1/placement/rebalance', {
      ...op(),
      body: { moves: [{ databaseId: db.id, targetHostId: hosts['big-c'] }] },
    });
    assert.equal(applied.status, 202, JSON.stringify(applied.body));
    assert.deepEqual(applied.body.started, []);
    assert.equal(applied.body.refused.length, 1);
    assert.match(applied.body.refused[0].reason, /still queued/);
  });
  test('two API replicas placing at once never share the last room on a host', async () => {
    for (const n of ['big-a', 'big-b', 'big-c'])
      assert.equal((await stack.request('POST', `/admin/v1/hosts/${hosts[n]}/drain`, op())).status, 202);
    await stack.request('PUT', '/admin/v1/placement/settings', { ...op(), body: { diskOvercommit: 1 } });
    // Room for exactly three small databases (1 GB of disk each).
    const room = await register('last-room', 'r4', { cpus: 8, memoryMb: 8192, diskGb: 3 });
    const replica = await stack.startApiReplica();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stack.request('POST', '/v1/databases', {
          key: i % 4 < 2 ? t1 : t2,
          apiUrl: i % 2 ? replica : undefined,
          body: { name: `rush-${i}`, engine: 'postgresql', plan: 'small' },
        }),
      ),
    );
    const codes = results.map((r) => r.status).sort();
    assert.deepEqual(codes, [202, 202, 202, 503, 503, 503, 503, 503, 503, 503], JSON.stringify(codes));
    for (const r of results.filter((x) => x.status === 503)) assert.match(r.body.message, /disk/i);
    const placed = await stack.metadata(`SELECT count(*)::int AS n FROM databases WHERE host_id = $1`, [room]);
    assert.equal(placed[0].n, 3);
  });
  test('a move or a failover in flight holds its room on the target until it ends', async () => {
    // After the previous test: every host drained or full. One more host, with room for one small database.
    const dst = await register('incoming', 'r5', { cpus: 8, memoryMb: 8192, diskGb: 1 });
    const [moving] = await stack.metadata(
      `SELECT d.id FROM databases d JOIN hosts h ON h.id = d.host_id WHERE h.name = 'last-room' ORDER BY d.name LIMIT 1`,
    );
    // No worker runs here: the database is made running by hand, and its create operation finished.
    await stack.metadata(`UPDATE databases SET status = 'running' WHERE id = $1`, [moving.id]);
    await stack.metadata(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE database_id = $1`, [
      moving.id,
    ]);
    const usageOf = async (hostId: string) =>
      (await stack.request('GET', `/admin/v1/hosts/${hostId}`, op())).body.usage.diskGb as number;

    const move = await stack.request('POST', `/admin/v1/databases/${moving.id}/move`, {
      ...op(),
      body: { targetHostId: dst },
    });
    assert.equal(move.status, 202, JSON.stringify(move.body));
    // Queued (no worker): the room on the target is taken already.
    assert.equal(await usageOf(dst), 1);
    const during = await create(t1, 'while-moving', 'small');
    assert.equal(during.status, 503, JSON.stringify(during.body));
    assert.match(during.body.message, /disk/i);

    // The move ends (here: fails) and the room is free again; a failover running towards the host takes it the same way.
    await stack.metadata(`UPDATE operations SET status = 'failed', finished_at = now() WHERE id = $1`, [
      move.body.operationId,
    ]);
    assert.equal(await usageOf(dst), 0);
    const [t] = await stack.metadata(`SELECT tenant_id FROM databases WHERE id = $1`, [moving.id]);
    await stack.metadata(
      `INSERT INTO failovers (database_id, tenant_id, ha, reason, status, to_host_id, detected_at)
       VALUES ($1, $2, 'san', 'host-down', 'running', $3, now())`,
      [moving.id, t.tenant_id, dst],
    );
    assert.equal(await usageOf(dst), 1);
    assert.equal((await create(t1, 'while-failing-over', 'small')).status, 503);
    await stack.metadata(`UPDATE failovers SET status = 'failed' WHERE database_id = $1`, [moving.id]);

    const after = await create(t1, 'after-moves', 'small');
    assert.equal(after.status, 202, JSON.stringify(after.body));
    assert.equal(await hostOf(after.body.id), 'incoming');
  });
});
