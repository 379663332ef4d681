import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/**
 * The failover API: operator actions, validation and fencing through allow-listed agents, against the real API.
 * The hosts here are SSH hosts that do not exist (127.0.0.1, port 9). Detection by the failover worker is in
 * failover-witness.e2e.spec.ts; the real takeover runs in the VM lab (test/lab/e2e/ha.lab.spec.ts).
 */
describe('failover: operator actions, validation and fencing', () => {
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
    for (const [fencing, why] of [
      [
        { driver: 'command', command: ['/usr/sbin/fence_ipmilan', '-p', 'hunter2'] },
        /an argv is not accepted: choose an agent from the allow-list/,
      ],
      [{ driver: 'agent', agent: 'fence_test', command: ['/bin/true'] }, /an argv is not accepted/],
      [{ driver: 'agent', agent: 'fence_nope' }, /fence agent "fence_nope" is not in the allow-list/],
      [{ driver: 'agent', agent: '/bin/true' }, /fencing.agent/],
      [{ driver: 'agent', agent: 'fence_test', params: { ip: 'a\nb' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_test', params: { password: 'hunter2\r' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_test', extra: 1 }, /unknown field/],
      [{ driver: 'agent', agent: 'fence_test', timeoutSec: 301 }, /timeoutSec/],
      [{ driver: 'ipmi' }, /driver must be "agent" or "ssh"/],
    ] as const) {
      const res = await stack.request('POST', '/admin/v1/hosts', {
        ...op(),
        body: { name: 'bad-fence', address: '127.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 }, fencing },
      });
      assert.equal(res.status, 400, JSON.stringify(fencing));
      assert.match([res.body.message].flat().join('; '), why);
      assert.doesNotMatch(JSON.stringify(res.body), /hunter2/);
    }
    for (const bad of [{ vipInterface: 'eth1; reboot' }, { replicationAddress: '10.0.0.300' }]) {
      const res = await stack.request('POST', '/admin/v1/hosts', {
        ...op(),
        body: { name: 'bad-ha', address: '127.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 }, ...bad },
      });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    assert.equal((await stack.metadata(`SELECT 1 FROM hosts WHERE name LIKE 'bad-%'`)).length, 0);
    // A refused argv may carry a password on its command line: the audit log keeps none of it.
    const audit = await stack.metadata(`SELECT detail::text AS d FROM audit_entries WHERE path = '/admin/v1/hosts'`);
    assert.ok(audit.length >= 9);
    assert.doesNotMatch(audit.map((a) => a.d).join('\n'), /hunter2|fence_ipmilan|"command": \[/);
  });

  test('ha drbd needs two hosts in different failure domains: 503 with the reason, nothing created', async () => {
    await register('ha-a', 'r1', { fencing: { driver: 'agent', agent: 'fence_test', params: { plug: 'ha-a' } } });
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

  test('a fence agent: its secret params are sealed and never shown; a fence runs it and its status confirms', async () => {
    const secret = 'Sup3r-s3cret-pw';
    const h = await register('fence-me', 'r3', {
      fencing: {
        driver: 'agent',
        agent: 'fence_test',
        params: { ip: '10.0.0.5', username: 'admin', password: secret, snmp_community: 'c0mmunity' },
        timeoutSec: 20,
      },
    });
    assert.deepEqual(h.fencing, {
      driver: 'agent',
      agent: 'fence_test',
      params: { ip: '10.0.0.5', username: 'admin', password: '***', snmp_community: '***' },
      timeoutSec: 20,
      sshPoweroff: true,
    });
    const seen = [
      h,
      (await stack.request('GET', '/admin/v1/hosts', op())).body,
      (await stack.request('GET', `/admin/v1/hosts/${h.id}`, op())).body,
      await stack.metadata(`SELECT fencing::text AS f FROM hosts WHERE id = $1`, [h.id]),
      await stack.metadata(`SELECT detail::text AS d FROM audit_entries`),
      await stack.metadata(`SELECT message, data::text AS d FROM events`),
    ];
    assert.equal((await stack.request('GET', `/admin/v1/hosts/${h.id}`, op())).body.fencing.params.password, '***');
    assert.doesNotMatch(JSON.stringify(seen), /Sup3r|c0mmunity/);
    const logged = (seen[4] as { d: string }[]).map((a) => JSON.parse(a.d)).find((d) => d.name === 'fence-me');
    assert.deepEqual(logged.fencing.params, {
      ip: '10.0.0.5',
      username: 'admin',
      password: '***',
      snmp_community: '***',
    });

    // The operator's fence runs the agent (no argument, its parameters on stdin) and asks its status.
    const fence = await stack.request('POST', `/admin/v1/hosts/${h.id}/fence`, {
      ...op(),
      body: { confirm: 'fence-me' },
    });
    assert.equal(fence.status, 202, JSON.stringify(fence.body));
    assert.equal(fence.body.status, 'fenced', JSON.stringify(fence.body));
    assert.equal(fence.body.fencing.method, 'agent:fence_test');
    assert.equal(fence.body.fencing.confirmedBy, 'agent-status');
    const log = readFileSync(stack.fenceLog, 'utf8');
    assert.ok(
      log.includes(
        `argc=0\naction=off\nip=10.0.0.5\npassword=${secret}\nsnmp_community=c0mmunity\nusername=admin\n--\n` +
          `argc=0\naction=status\nip=10.0.0.5\npassword=${secret}\nsnmp_community=c0mmunity\nusername=admin\n--\n`,
      ),
      log,
    );
    const after = (await stack.request('GET', `/admin/v1/hosts/${h.id}`, op())).body;
    assert.equal(after.status, 'fenced');
    assert.match(after.statusReason, /fenced \(agent:fence_test\)/);
    const events = await stack.metadata(`SELECT message, data::text AS d FROM events WHERE host_id = $1`, [h.id]);
    assert.doesNotMatch(JSON.stringify(events), /Sup3r|c0mmunity/);
  });

  test('PUT /admin/v1/hosts/:id/fencing: the same rules; "***" keeps a stored secret of the same agent', async () => {
    const h = await register('fence-upd', 'r3');
    const put = (fencing: unknown) =>
      stack.request('PUT', `/admin/v1/hosts/${h.id}/fencing`, { ...op(), body: { fencing } });
    for (const [fencing, why] of [
      [{ driver: 'command', command: ['/bin/sh', '-c', 'x'] }, /an argv is not accepted/],
      [{ driver: 'agent', agent: 'fence_nope' }, /not in the allow-list/],
      [{ driver: 'agent', agent: 'fence_test', params: { password: '***' } }, /"\*\*\*" keeps the stored secret/],
      [undefined, /fencing must be/],
    ] as const) {
      const res = await put(fencing);
      assert.equal(res.status, 400, JSON.stringify(fencing));
      assert.match([res.body.message].flat().join('; '), why);
    }
    assert.equal((await stack.metadata(`SELECT fencing FROM hosts WHERE id = $1`, [h.id]))[0].fencing, null);
    const set = await put({ driver: 'agent', agent: 'fence_test', params: { ip: '10.0.0.9', password: 'Upd4ted-pw' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.fencing.params, { ip: '10.0.0.9', password: '***' });
    // Changing the address only: the password shown as "***" is sent back as such and kept.
    const again = await put({ driver: 'agent', agent: 'fence_test', params: { ip: '10.0.0.10', password: '***' } });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const [row] = await stack.metadata(`SELECT fencing FROM hosts WHERE id = $1`, [h.id]);
    assert.deepEqual(row.fencing.params, { ip: '10.0.0.10' });
    assert.match(row.fencing.sealedParams.password, /^v1:/);
    assert.doesNotMatch(JSON.stringify(row), /Upd4ted/);
    const events = await stack.metadata(`SELECT message FROM events WHERE host_id = $1`, [h.id]);
    assert.ok(
      events.some((e) => /fencing set to agent fence_test/.test(e.message)),
      JSON.stringify(events),
    );
    assert.doesNotMatch(JSON.stringify(events), /Upd4ted|10\.0\.0\.10/);
    // The kept secret is the one the agent gets.
    const fence = await stack.request('POST', `/admin/v1/hosts/${h.id}/fence`, {
      ...op(),
      body: { confirm: 'fence-upd' },
    });
    assert.equal(fence.body.status, 'fenced', JSON.stringify(fence.body));
    assert.match(readFileSync(stack.fenceLog, 'utf8'), /action=off\nip=10\.0\.0\.10\npassword=Upd4ted-pw\n--/);
    const none = await put(null);
    assert.equal(none.status, 200);
    assert.equal(none.body.fencing, null);
  });

  test('a device that never confirms, or poweroff over SSH alone, is no fence: the operator must vouch', async () => {
    const stuck = await register('fence-stuck', 'r3', {
      fencing: { driver: 'agent', agent: 'fence_test', params: { state: 'on' }, timeoutSec: 2 },
    });
    const r1 = await stack.request('POST', `/admin/v1/hosts/${stuck.id}/fence`, {
      ...op(),
      body: { confirm: 'fence-stuck' },
    });
    assert.equal(r1.status, 202, JSON.stringify(r1.body));
    assert.equal(r1.body.status, 'down', JSON.stringify(r1.body));
    assert.match(r1.body.fencing.detail, /still on/);
    const sshOnly = await register('fence-ssh', 'r3', { fencing: { driver: 'ssh' } });
    const r2 = await stack.request('POST', `/admin/v1/hosts/${sshOnly.id}/fence`, {
      ...op(),
      body: { confirm: 'fence-ssh' },
    });
    assert.equal(r2.body.status, 'down', JSON.stringify(r2.body));
    assert.match(r2.body.fencing.detail, /no confirming fence method: an operator must confirm the host is off/);
    // The operator's word is the acknowledgement.
    for (const [id, name] of [
      [stuck.id, 'fence-stuck'],
      [sshOnly.id, 'fence-ssh'],
    ]) {
      const ack = await stack.request('POST', `/admin/v1/hosts/${id}/fence`, {
        ...op(),
        body: { confirm: name, poweredOff: true },
      });
      assert.equal(ack.body.status, 'fenced', JSON.stringify(ack.body));
    }
  });
  // The failover worker's detection, witnesses, grace and brake: test/e2e/failover-witness.e2e.spec.ts (real
  // hosts made of network namespaces; these never-contacted hosts would never be condemned).

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
