import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NetnsFleet, NetnsHost } from '../support/netns-fleet';
import { Stack } from '../support/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The failover worker never condemns a host on its own word. Six hosts built from network namespaces, each with
 * its own sshd, on one switched segment with the control plane: links are cut and daemons killed for real, and
 * the real API and worker decide. A host is declared down only when the control plane cannot reach it and a
 * majority of its witnesses (the other hosts, through their own sessions) cannot either; a host never seen
 * healthy is never fenced; when most of the fleet fails at once, or the control plane is the one cut off,
 * nothing is fenced and a fleet alarm is raised until an operator fences host by host.
 */
describe('failover: witnesses, grace and the brake, on hosts made of network namespaces', () => {
  const fleet = new NetnsFleet(6);
  const stack = new Stack({
    name: 'witness',
    env: { HA_VIP_RANGE: '10.250.0.10-10.250.0.20/24' },
    // Started once an HA database is in place; two replicas: one leads, and a host is declared down once.
    startWorker: false,
    worker: {
      // The production defaults for detection (probes, timeouts, failures, witnesses), a short grace for a test.
      FAILOVER_GRACE_MS: '3000',
      JOB_ATTEMPTS: '1',
    },
  });
  const op = () => ({ key: stack.operatorKey });
  const ids: Record<string, string> = {};
  /** The host holding the HA database's primary: the one that dies for real. */
  let victim = '';
  /** A live host the control plane alone is cut from. */
  let partitioned = '';
  let dbId = '';

  const hostRow = async (name: string) =>
    (await stack.metadata(`SELECT status, health, status_reason FROM hosts WHERE id = $1`, [ids[name]]))[0];
  const events = async (type: string, name?: string) =>
    stack.metadata(
      `SELECT message, created_at FROM events WHERE type = $1 ${name ? 'AND host_id = $2' : ''} ORDER BY created_at`,
      name ? [type, ids[name]] : [type],
    );
  const downOrFenced = async () =>
    stack.metadata(`SELECT name FROM hosts WHERE status IN ('down', 'fenced') ORDER BY name`);
  const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await sleep(200);
    }
  };
  /** Every host of `names` seen healthy by a probe that ran after `since` (a row written before may be stale). */
  const allUp = (names: string[], since = new Date(0)) =>
    until(
      `${names.join(', ')} seen healthy`,
      async () => {
        for (const n of names) {
          const health = (await hostRow(n)).health;
          if (health?.ssh !== true || !(Date.parse(health.checkedAt) > since.getTime())) return false;
        }
        return true;
      },
      30_000,
    );
  const host = (name: string): NetnsHost => fleet.hosts.find((h) => h.name === name)!;

  before(async () => {
    await fleet.start();
    fleet.installFenceAgent(stack.fenceAgentsDir);
    await stack.start();
    for (const [i, h] of fleet.hosts.entries()) {
      const res = await stack.request('POST', '/admin/v1/hosts', {
        ...op(),
        body: fleet.registration(h, {
          labels: { rack: `r${i + 1}` },
          replicationAddress: h.address,
          vipInterface: 'eth0',
        }),
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[h.name] = res.body.id;
    }
    // An HA database "running" on one of them, as if provisioned there (this test is about the monitor, not
    // provisioning DRBD in namespaces): its create job is treated as done.
    const tenantKey = (await stack.tenant('witnessed')).key;
    const created = await stack.request('POST', '/v1/databases', {
      key: tenantKey,
      body: { name: 'mirrored', engine: 'postgresql', plan: 'small', ha: 'drbd' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    dbId = created.body.id;
    const [placed] = await stack.metadata(
      `UPDATE databases d SET status = 'running' FROM hosts h WHERE d.id = $1 AND h.id = d.host_id RETURNING h.name`,
      [dbId],
    );
    victim = placed.name;
    partitioned = fleet.hosts.find((h) => h.name !== victim)!.name;
    await stack.metadata(
      `UPDATE operations SET status = 'succeeded', finished_at = now() WHERE type = 'create-database'`,
    );
    stack.startWorker();
    stack.startWorker();
    // A wrong port typed at registration: never reachable, so never seen healthy.
    const typo = await stack.request('POST', '/admin/v1/hosts', {
      ...op(),
      body: { ...fleet.registration(fleet.hosts[0]), name: 'typo', sshPort: 2222 },
    });
    assert.equal(typo.status, 201, JSON.stringify(typo.body));
    ids.typo = typo.body.id;
    await allUp(fleet.hosts.map((h) => h.name));
  });
  after(async () => {
    await stack.stop();
    fleet.destroy();
  });

  test('a host never seen healthy is never fenced: it shows unreachable, with why', async () => {
    await sleep(6000);
    const row = await hostRow('typo');
    assert.equal(row.status, 'active');
    assert.equal(row.health.verdict, 'unreachable');
    assert.match(row.health.detail, /never seen healthy/);
    assert.deepEqual(await downOrFenced(), []);
  });

  test('a host the control plane cannot reach but its witnesses can: not fenced, an event says so', async () => {
    fleet.cutFromControl(host(partitioned));
    try {
      await until(
        `${partitioned} judged`,
        async () => (await events('host.partitioned', partitioned)).length > 0,
        15_000,
      );
      const row = await hostRow(partitioned);
      assert.equal(row.status, 'active');
      assert.equal(row.health.verdict, 'unreachable');
      assert.match(row.health.detail, /unreachable from the control plane only/);
      assert.equal(row.health.witnesses[victim], 'alive');
      await sleep(3000);
      assert.deepEqual(await downOrFenced(), []);
    } finally {
      fleet.healFromControl(host(partitioned));
    }
    await allUp([partitioned]);
  });

  test('a host truly gone (sshd and link down): declared down within seconds, its witnesses agreeing', async () => {
    const t0 = Date.now();
    fleet.powerOff(host(victim));
    await until(`${victim} declared down`, async () => (await events('host.down', victim)).length > 0, 20_000);
    const [down] = await events('host.down', victim);
    const detection = (new Date(down.created_at).getTime() - t0) / 1000;
    console.log(`# witness: a host gone → declared down in ${detection.toFixed(1)} s`);
    assert.match(down.message, new RegExp(`witnesses: .*${partitioned}: dead`));
    // The bound, with the production defaults: a dead host is declared down within 3 s.
    assert.ok(detection <= 3, `declared down ${detection} s after it went (at most 3 s)`);
    // Fenced by the power switch, confirmed by its status (not by the host).
    await until(`${victim} fenced`, async () => (await hostRow(victim)).status === 'fenced', 20_000);
    assert.match((await hostRow(victim)).status_reason, /fenced \(agent:fence_netns\)/);
    assert.deepEqual(
      (await downOrFenced()).map((r) => r.name),
      [victim],
    );
    // Two worker replicas: one failover for its HA database, recorded once.
    const failovers = (await stack.request('GET', `/admin/v1/failovers?hostId=${ids[victim]}`, op())).body;
    assert.equal(failovers.length, 1, JSON.stringify(failovers));
    assert.equal(failovers[0].databaseId, dbId);
    assert.equal(failovers[0].reason, 'host-down');
    assert.equal(failovers[0].actor, 'failover-worker');
    assert.equal((await events('host.down', victim)).length, 1);
  });

  test('the control plane cut off from every host: nothing fenced, a fleet alarm, cleared when it heals', async () => {
    fleet.cutControlPlane();
    try {
      await until('the fleet alarm', async () => (await events('fleet.alarm')).length > 0, 20_000);
      const overview = await stack.request('GET', '/admin/v1/overview', op());
      assert.equal(overview.body.alarm.raised, true);
      assert.match(overview.body.alarm.message, /the control plane may be the one cut off/);
      const metrics = await stack.request('GET', '/metrics', op());
      assert.match(String(metrics.body), /^dbaas_fleet_alarm 1$/m);
      await sleep(4000);
      assert.deepEqual(
        (await downOrFenced()).map((r) => r.name),
        [victim],
      );
    } finally {
      fleet.healControlPlane();
    }
    const healedAt = new Date();
    await until('the alarm cleared', async () => (await events('fleet.alarm-cleared')).length > 0, 20_000);
    // The alarm clears once few enough fail: the next test needs each host answering again, seen afresh.
    await allUp(
      fleet.hosts.map((h) => h.name).filter((n) => n !== victim),
      healedAt,
    );
    assert.equal((await stack.request('GET', '/admin/v1/overview', op())).body.alarm.raised, false);
  });

  test('4 of 5 hosts gone at once: the brake, nothing fenced until an operator fences host by host', async () => {
    const gone = fleet.hosts.map((h) => h.name).filter((n) => n !== victim && n !== partitioned);
    const alarmsBefore = (await events('fleet.alarm')).length;
    for (const n of gone) fleet.powerOff(host(n));
    await until('the brake', async () => (await events('fleet.alarm')).length > alarmsBefore, 20_000);
    const alarm = (await events('fleet.alarm')).at(-1)!;
    // Raised as soon as more than 55 % fail: on a loaded machine the fourth may be seen a tick after the third. The
    // host left up may miss the one probe that ran while the others went (seen 1 run in 3, before and after the
    // probes moved onto the session); it answers the next one and is not in the alarm's list below.
    assert.match(alarm.message, /[345] of 5 hosts unreachable at once/);
    assert.ok(gone.filter((n) => new RegExp(n).test(alarm.message)).length >= 3, alarm.message);
    await sleep(5000);
    assert.deepEqual(
      (await downOrFenced()).map((r) => r.name),
      [victim],
      'no automatic fence under the brake',
    );
    // The console's banner lists every host not reached and not condemned, with why (the typo'd one too).
    const overview = (await stack.request('GET', '/admin/v1/overview', op())).body;
    const listed = new Map<string, string>(
      overview.alarm.hosts.map((h: { name: string; reason: string }) => [h.name, h.reason]),
    );
    assert.deepEqual([...listed.keys()].sort(), [...gone, 'typo']);
    assert.match(listed.get(gone[1])!, /fleet alarm, nothing fenced automatically/);
    assert.match(listed.get('typo')!, /never seen healthy/);
    const banner = (await stack.request('GET', '/admin/v1/fleet/alarm', op())).body;
    assert.equal(banner.raised, true);
    assert.match(banner.message, /4 of 5 hosts unreachable at once/);
    // The operator approves one host.
    const chosen = gone[0];
    const res = await stack.request('POST', `/admin/v1/hosts/${ids[chosen]}/fence`, {
      ...op(),
      body: { confirm: chosen },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'fenced', JSON.stringify(res.body));
    await sleep(3000);
    assert.deepEqual(
      (await downOrFenced()).map((r) => r.name),
      [chosen, victim].sort(),
      'only the host the operator chose',
    );
    // poweroff -f went to the hosts over SSH only as an extra, and reached none of the dead ones: the stand-ins
    // saw nothing (and this machine was never at risk).
    assert.equal(fleet.standIns(), '');
  });
});
