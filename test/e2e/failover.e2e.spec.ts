import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/**
 * The failover API and the failover worker's detection → fencing path, against the real API and worker
 * processes. The hosts here are SSH hosts that do not exist (127.0.0.1, port 9): the real takeover runs in the
 * VM lab (test/lab/e2e/ha.lab.spec.ts).
 */
describe('failover: operator actions, validation, and a dead host detected and fenced', () => {
  const stack = new Stack({
    name: 'failover',
    env: { HA_VIP_RANGE: '10.250.0.10-10.250.0.20/24' },
    worker: {
      FAILOVER_PROBE_INTERVAL_MS: '300',
      FAILOVER_PROBE_TIMEOUT_MS: '500',
      FAILOVER_FAILURES: '3',
      JOB_ATTEMPTS: '1',
    },
    startWorker: false,
  });
  const op = () => ({ key: stack.operatorKey });
  let tenantKey = '';
  const hosts: Record<string, string> = {};

  const register = async (name: string, rack: string, extra: Record<string, unknown> = {}) => {
    const host = await stack.registerUnreachableHost(name, {
      labels: { rack },
      capacity: { cpus: 4, memoryMb: 4096, diskGb: 50 },
      replicationAddress: '10.250.1.1',
      vipInterface: 'eth1',
      ...extra,
    });
    hosts[name] = host.id;
    return host;
  };

  before(async () => {
    await stack.start();
    tenantKey = (await stack.tenant('ha-tenant')).key;
  });
  after(() => stack.stop());

  test('fencing and HA host settings are validated (400) and never echoed wrong', async () => {
    for (const fencing of [
      { driver: 'command', command: ['rm -rf /'] },
      { driver: 'command', command: [] },
      { driver: 'command', command: ['/bin/true'], extra: 1 },
      { driver: 'ipmi' },
      { driver: 'command', command: ['/bin/echo', 'a\nb'] },
    ]) {
      const res = await stack.request('POST', '/admin/v1/hosts', {
        ...op(),
        body: { name: 'bad-fence', address: '127.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 }, fencing },
      });
      assert.equal(res.status, 400, JSON.stringify(fencing));
    }
    for (const bad of [{ vipInterface: 'eth1; reboot' }, { replicationAddress: '10.0.0.300' }]) {
      const res = await stack.request('POST', '/admin/v1/hosts', {
        ...op(),
        body: { name: 'bad-ha', address: '127.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 }, ...bad },
      });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    assert.equal((await stack.metadata(`SELECT 1 FROM hosts WHERE name LIKE 'bad-%'`)).length, 0);
  });

  test('ha drbd needs two hosts in different failure domains: 503 with the reason, nothing created', async () => {
    await register('ha-a', 'r1', { fencing: { driver: 'command', command: ['/bin/true'] } });
    await register('ha-b', 'r1');
    const res = await stack.request('POST', '/v1/databases', {
      key: tenantKey,
      body: { name: 'mirrored', engine: 'postgresql', plan: 'small', ha: 'drbd' },
    });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.match(res.body.message, /different failure domains/);
    assert.equal((await stack.metadata(`SELECT 1 FROM databases WHERE name = 'mirrored'`)).length, 0);
  });

  test('with a peer in another rack: a VIP and a DRBD minor are allocated, the peer is recorded', async () => {
    await register('ha-c', 'r2');
    const ids: string[] = [];
    for (const name of ['mirrored', 'mirrored-2']) {
      const res = await stack.request('POST', '/v1/databases', {
        key: tenantKey,
        body: { name, engine: 'postgresql', plan: 'small', ha: 'drbd' },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    const rows = await stack.metadata(
      `SELECT d.vip, d.host_id, v.peer_host_id, v.drbd_minor, v.driver, v.ha FROM databases d JOIN volumes v ON v.database_id = d.id
       WHERE d.id = ANY($1) ORDER BY v.drbd_minor`,
      [ids],
    );
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.match(r.vip, /^10\.250\.0\.(1\d|20)$/);
      assert.equal(r.driver, 'drbd');
      assert.equal(r.ha, 'drbd');
      assert.notEqual(r.host_id, r.peer_host_id);
      // Never both in rack r1.
      assert.ok([r.host_id, r.peer_host_id].includes(hosts['ha-c']));
    }
    assert.notEqual(rows[0].vip, rows[1].vip);
    assert.deepEqual(
      rows.map((r) => r.drbd_minor),
      [0, 1],
    );
    const view = (await stack.request('GET', `/v1/databases/${ids[0]}`, { key: tenantKey })).body;
    assert.equal(view.endpoint.host, rows.find((r) => r.vip === view.endpoint.host)?.vip);
  });

  test('operator actions: a failover of a non-HA database is refused; fencing needs the host name', async () => {
    const plain = await stack.request('POST', '/v1/databases', {
      key: tenantKey,
      body: { name: 'plain', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(plain.status, 202);
    const f = await stack.request('POST', `/admin/v1/databases/${plain.body.id}/failover`, { ...op(), body: {} });
    assert.equal(f.status, 422);
    assert.match(f.body.message, /no HA/);
    const bad = await stack.request('POST', `/admin/v1/databases/${plain.body.id}/failover`, {
      ...op(),
      body: { targetHostId: 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.equal(
      (await stack.request('POST', `/admin/v1/hosts/${hosts['ha-b']}/fence`, { ...op(), body: {} })).status,
      400,
    );
    const wrong = await stack.request('POST', `/admin/v1/hosts/${hosts['ha-b']}/fence`, {
      ...op(),
      body: { confirm: 'ha-a' },
    });
    assert.equal(wrong.status, 422);
    const local = (await stack.metadata(`SELECT id FROM hosts WHERE name = 'local'`))[0].id;
    assert.equal(
      (await stack.request('POST', `/admin/v1/hosts/${local}/fence`, { ...op(), body: { confirm: 'local' } })).status,
      409,
    );
    const tenantTry = await stack.request('POST', `/admin/v1/hosts/${hosts['ha-b']}/drain`, { key: tenantKey });
    assert.equal(tenantTry.status, 403);
    assert.equal((await stack.request('GET', `/admin/v1/failovers`, op())).body.length, 0);
    assert.equal(
      (await stack.metadata(`SELECT status FROM hosts WHERE id = $1`, [hosts['ha-b']]))[0].status,
      'active',
      'refused actions change nothing',
    );
  });

  test('drain: the host takes no new database; activate lets it back', async () => {
    const d = await stack.request('POST', `/admin/v1/hosts/${hosts['ha-b']}/drain`, op());
    assert.equal(d.status, 202, JSON.stringify(d.body));
    assert.equal(d.body.status, 'draining');
    const h = (await stack.request('GET', `/admin/v1/hosts/${hosts['ha-b']}`, op())).body;
    assert.equal(h.status, 'draining');
    const a = await stack.request('POST', `/admin/v1/hosts/${hosts['ha-b']}/activate`, op());
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal((await stack.request('GET', `/admin/v1/hosts/${hosts['ha-b']}`, op())).body.status, 'active');
  });

  test('the failover worker declares an unreachable host down, fences it, and records the failover', async () => {
    // Make one HA database "running" on ha-a, as if it had been provisioned there.
    const [db] = await stack.metadata(
      `UPDATE databases SET status = 'running', host_id = $1 WHERE name = 'mirrored' RETURNING id`,
      [hosts['ha-a']],
    );
    await stack.metadata(`UPDATE volumes SET host_id = $1 WHERE database_id = $2`, [hosts['ha-a'], db.id]);
    // Their create jobs are treated as done: this test is about the monitor, not provisioning on fake hosts.
    await stack.metadata(
      `UPDATE operations SET status = 'succeeded', finished_at = now() WHERE type = 'create-database'`,
    );
    // Only ha-a is watched here: the others are marked fenced so the worker leaves them alone.
    await stack.metadata(`UPDATE hosts SET status = 'fenced' WHERE name IN ('ha-b', 'ha-c')`);
    const t0 = Date.now();
    // Two replicas: one leads (an advisory lock), and the host is declared down and fenced once.
    stack.startWorker();
    stack.startWorker();
    let host: any;
    for (;;) {
      host = (await stack.request('GET', `/admin/v1/hosts/${hosts['ha-a']}`, op())).body;
      if (host.status === 'fenced' || Date.now() - t0 > 60_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(host.status, 'fenced', JSON.stringify(host));
    assert.match(host.statusReason, /fenced \(power-command\)/);
    assert.ok(host.health.failures >= 3 || host.health.ssh === false, JSON.stringify(host.health));
    const all = (await stack.request('GET', `/admin/v1/failovers?hostId=${hosts['ha-a']}`, op())).body;
    assert.equal(all.length, 1, 'one failover per database, whatever the number of workers');
    const [f] = all;
    assert.equal(f.databaseId, db.id);
    assert.equal(f.reason, 'host-down');
    assert.equal(f.actor, 'failover-worker');
    assert.ok(f.timeline.detectedAt && f.timeline.fencedAt);
    assert.ok(Date.parse(f.timeline.fencedAt) >= Date.parse(f.timeline.detectedAt));
    // Its only possible target (the DRBD peer) is fenced too: the takeover fails with a readable reason.
    let final = f;
    for (let i = 0; i < 100 && final.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 300));
      final = (await stack.request('GET', `/admin/v1/failovers/${f.id}`, op())).body;
    }
    assert.equal(final.status, 'failed');
    assert.match(final.error, /no healthy host can take this database over/);
    const events = await stack.metadata(`SELECT type FROM events WHERE host_id = $1 ORDER BY created_at`, [
      hosts['ha-a'],
    ]);
    assert.deepEqual(
      events.map((e) => e.type).filter((t) => t.startsWith('host.d') || t === 'host.fenced'),
      ['host.down', 'host.fenced'],
    );
  });

  test('an operator failover that may lose writes needs acceptDataLoss: 409 with the reason, nothing started; with it, recorded and audited', async () => {
    // 'mirrored' on ha-a, fenced, its failover over; its mirror was never read (these hosts do not exist).
    const [db] = await stack.metadata(
      `UPDATE databases SET status = 'error', host_id = $1 WHERE name = 'mirrored' RETURNING id`,
      [hosts['ha-a']],
    );
    await stack.metadata(`UPDATE volumes SET host_id = $1, mirror_state = NULL WHERE database_id = $2`, [
      hosts['ha-a'],
      db.id,
    ]);
    await stack.metadata(`UPDATE hosts SET status = 'fenced' WHERE name IN ('ha-a', 'ha-b', 'ha-c')`);
    await stack.metadata(`UPDATE failovers SET status = 'failed' WHERE status = 'running'`);
    const count = async () =>
      Number((await stack.metadata(`SELECT count(*) AS n FROM failovers WHERE database_id = $1`, [db.id]))[0].n);
    const before = await count();
    for (const bad of ['yes', 1, 'true', { really: true }]) {
      const r = await stack.request('POST', `/admin/v1/databases/${db.id}/failover`, {
        ...op(),
        body: { acceptDataLoss: bad },
      });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match(JSON.stringify(r.body.message), /acceptDataLoss must be a boolean/);
    }
    const refused = await stack.request('POST', `/admin/v1/databases/${db.id}/failover`, { ...op(), body: {} });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(
      refused.body.message,
      /the mirror state was never read: the peer may lack writes the primary committed/,
    );
    assert.match(refused.body.message, /"acceptDataLoss": true/);
    assert.equal(await count(), before, 'nothing started');

    const accepted = await stack.request('POST', `/admin/v1/databases/${db.id}/failover`, {
      ...op(),
      body: { acceptDataLoss: true },
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.reason, 'manual');
    assert.equal(accepted.body.acceptDataLoss, true);
    assert.equal(await count(), before + 1);
    const [ev] = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'failover.requested' ORDER BY created_at DESC LIMIT 1`,
      [db.id],
    );
    assert.match(ev.message, /manual requested by .*, accepting the loss of writes the peer may lack/);
    await new Promise((r) => setTimeout(r, 300));
    const audited = await stack.metadata(
      `SELECT status_code, detail FROM audit_entries WHERE path = $1 ORDER BY created_at`,
      [`/admin/v1/databases/${db.id}/failover`],
    );
    assert.deepEqual(
      audited.map((a) => a.status_code).filter((c) => c !== 400),
      [409, 202],
    );
    assert.equal(
      JSON.stringify(audited.at(-1).detail).includes('"acceptDataLoss":true'),
      true,
      JSON.stringify(audited.at(-1)),
    );
  });
});
