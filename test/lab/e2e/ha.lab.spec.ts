import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { HaLab, otherThan, waitFor } from '../support/ha';

/**
 * High availability on real kernels: DRBD between host1 and host2 behind a floating VIP, SAN LUNs reattached
 * elsewhere, and the failover worker that notices a power cut by itself. Tenants' view of a database is its VIP,
 * reached here through the storage VM (on the same private segment, and never killed).
 */
// A takeover's round trips to hosts (commands, Docker API requests; not the readiness polls), as counted in the
// failover record: storage 1, VIP 2, image 1, container ~9, limits ~3 (17–20 measured; about 40 with single commands, estimated).
const MAX_TAKEOVER_ROUND_TRIPS = 25;
// Where the tenant's queries come from in the lab: a tunnel from the storage VM (see HaLab.viaVip).
const LAB_STORAGE_SAN_IP = '10.99.0.10';

describe('HA: failover of drbd and san databases in the VM lab', { timeout: 60 * 60_000 }, () => {
  // The standby's periodic round far apart: a standby here comes from the create, a hand-over or a change of placement
  // (a host let back in), which the tests show, never from a round that happened to come by.
  const stack = HaLab.stack('lab-ha', { STANDBY_INTERVAL_MS: '3600000' });
  const ha = new HaLab(stack);
  const onHost = ha.on.bind(ha);
  const viaVip = ha.viaVip.bind(ha);
  const count = ha.count.bind(ha);

  before(() => ha.setUp('lab-ha'));
  after(() => ha.tearDown());

  let drbd: { db: any; creds: any } = { db: null, creds: null };

  test('drbd: a power cut of the primary; the database answers on the same VIP from the peer with all rows', async () => {
    // Its allow-list names the one source the tenant's queries come from (the storage VM's tunnel): it must hold on
    // the peer after the failover, and let that source in.
    drbd = await ha.createHa('ha-drbd', 'drbd', 'small', { allowedCidrs: [`${LAB_STORAGE_SAN_IP}/32`] });
    const { db, creds } = drbd;
    assert.equal(db.ha, 'drbd');
    assert.match(db.endpoint.host, /^10\.99\.0\.1\d\d$/, 'the endpoint is a VIP of the pool');
    assert.equal(creds.host, db.endpoint.host);
    const primary = await ha.primaryOf(db.id);
    const peer = otherThan(primary);
    const [vol] = await stack.metadata('SELECT id, drbd_minor, peer_host_id FROM volumes WHERE database_id = $1', [
      db.id,
    ]);
    assert.equal(vol.peer_host_id, ha.hostIds[peer]);
    const res = `r-${vol.id}`;
    assert.equal((await onHost(primary, 'drbdadm', ['role', res])).stdout.trim(), 'Primary/Secondary');
    assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim(), 'Secondary/Primary');
    assert.match(
      (await onHost(primary, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth1'])).stdout,
      new RegExp(`${db.endpoint.host}/`),
    );

    // The peer holds the standby before anything fails: the container created there, never started.
    await ha.waitStandby(db.id, peer);
    await ha.write1000(creds);
    // The failover worker reads the mirror's state from the primary every second.
    await waitFor(
      'the mirror to be seen synced',
      async () =>
        (await stack.metadata('SELECT mirror_state FROM volumes WHERE id = $1', [vol.id]))[0].mirror_state === 'synced',
      60_000,
    );

    const cutAt = Date.now();
    await ha.powerCut(primary);
    const answer = await ha.waitAnswers(creds, 5 * 60_000);
    console.log(`# drbd: answering again ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the power cut`);
    assert.equal(answer.rows, 1000, 'every committed row survived');
    assert.equal(await ha.primaryOf(db.id), peer);
    // The allow-list came along: the peer filters the VIP's port (the allowed source answered just now).
    const rules = (await onHost(peer, 'iptables', ['-S'])).stdout;
    const chain = `DBA-${db.id.replace(/-/g, '').slice(0, 20)}`;
    assert.match(
      rules,
      new RegExp(`-A ${chain}-[ab] -s ${LAB_STORAGE_SAN_IP.replace(/\./g, '\\.')}/32 -j RETURN`),
      rules,
    );
    assert.match(rules, new RegExp(`-A DOCKER-USER .*-j ${chain}-[ab]`), rules);
    assert.match(
      (await onHost(peer, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth1'])).stdout,
      new RegExp(`${db.endpoint.host}/`),
    );
    assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim().split('/')[0], 'Primary');

    const f = await waitFor(
      'the failover record to finish',
      async () => {
        const [x] = await ha.failoversOf(db.id);
        return x?.status === 'succeeded' ? x : null;
      },
      60_000,
    );
    console.log(
      `# drbd failover timeline (ms after detection): ${JSON.stringify(f.durationsMs)}, ${f.roundTrips} round trips`,
    );
    // The host helper promotes and mounts in one call, the host preparation is one more: single commands took ~40.
    assert.ok(f.roundTrips > 0 && f.roundTrips <= MAX_TAKEOVER_ROUND_TRIPS, `${f.roundTrips} round trips`);
    assert.equal(f.reason, 'host-down');
    assert.equal(f.fromHost.name, primary);
    assert.equal(f.toHost.name, peer);
    assert.ok(
      ha.madeAhead(db.id, peer, 'present'),
      'the takeover found the standby on the peer (no network or container made on the critical path)',
    );
    assert.ok(await ha.joinsHolder(db.id, peer), "it runs in its network holder's namespace");
    for (const k of ['detectedAt', 'fencedAt', 'storageMovedAt', 'startedAt', 'reachableAt'])
      assert.ok(f.timeline[k], `${k} recorded`);
    const ts = ['detectedAt', 'fencedAt', 'storageMovedAt', 'startedAt', 'reachableAt'].map((k) =>
      Date.parse(f.timeline[k]),
    );
    assert.deepEqual(
      [...ts].sort((a, b) => a - b),
      ts,
      'the timeline is in order',
    );
    const host = (await stack.request('GET', `/admin/v1/hosts/${ha.hostIds[primary]}`, { key: stack.operatorKey }))
      .body;
    assert.equal(host.status, 'fenced', 'the dead host stays fenced until an operator lets it back');
  });

  test('drbd: the returning host is not primary; activated, it rejoins as secondary and resyncs', async () => {
    const { db } = drbd;
    const primary = await ha.primaryOf(db.id);
    const returning = otherThan(primary);
    await ha.bootAgain(returning);
    // Back on, but fenced: nothing runs there (not even the database's network holder) and it holds no VIP.
    const ps = await onHost(returning, 'docker', ['ps', '-q', '--filter', `name=dbaas-${db.id}`]);
    assert.equal(ps.stdout.trim(), '');
    const act = await stack.request('POST', `/admin/v1/hosts/${ha.hostIds[returning]}/activate`, {
      key: stack.operatorKey,
    });
    assert.equal(act.status, 201, JSON.stringify(act.body));
    const activatedAt = Date.now();
    assert.deepEqual(act.body.rejoinedMirrors, [db.id]);
    // The worker's leader sees the host back within STANDBY_CHECK_MS and makes the standby there at once: the next
    // power cut finds it (it waited for the next round, up to STANDBY_INTERVAL_MS).
    await ha.waitStandby(db.id, returning, 60_000);
    console.log(
      `# the standby on the host let back in: made ${((Date.now() - activatedAt) / 1000).toFixed(1)} s after`,
    );
    const [vol] = await stack.metadata('SELECT id FROM volumes WHERE database_id = $1', [db.id]);
    await waitFor(
      'the mirror to resync',
      async () =>
        (await stack.metadata('SELECT mirror_state FROM volumes WHERE id = $1', [vol.id]))[0].mirror_state === 'synced',
      120_000,
    );
    assert.equal((await onHost(returning, 'drbdadm', ['role', `r-${vol.id}`])).stdout.trim(), 'Secondary/Primary');
  });

  test('split brain: with the replication link cut, only one side is primary and takes writes; it heals', async () => {
    const { db, creds } = drbd;
    const primary = await ha.primaryOf(db.id);
    const peer = otherThan(primary);
    const [vol] = await stack.metadata('SELECT id, drbd_minor FROM volumes WHERE database_id = $1', [db.id]);
    const res = `r-${vol.id}`;
    const before = (await ha.failoversOf(db.id)).length;
    const cutAt = new Date();
    await onHost(peer, 'ip', ['link', 'set', 'eth2', 'down']);
    try {
      // The primary's I/O is frozen until the control plane answers its fence-peer request (mirror recorded
      // degraded, peer outdated); the event comes after the answer.
      await waitFor(
        'the primary to be told to go on alone',
        async () =>
          (
            await stack.metadata(
              `SELECT 1 FROM events WHERE database_id = $1 AND type = 'database.mirror-degraded' AND created_at >= $2`,
              [db.id, cutAt],
            )
          ).length > 0,
        60_000,
      );
      assert.equal(
        (await stack.metadata('SELECT mirror_state FROM volumes WHERE id = $1', [vol.id]))[0].mirror_state,
        'degraded',
      );
      // Writes go on at the primary (through the VIP)...
      await viaVip(creds, (pg) => pg.query(`INSERT INTO t VALUES (1001, 'during the cut')`));
      // ...and the other side is not a primary, runs no database and its device refuses writes.
      assert.equal((await onHost(primary, 'drbdadm', ['role', res])).stdout.trim().split('/')[0], 'Primary');
      assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim().split('/')[0], 'Secondary');
      assert.equal((await onHost(peer, 'docker', ['ps', '-q', '--filter', `name=^dbaas-${db.id}$`])).stdout.trim(), '');
      const dd = await onHost(peer, 'dd', [
        'if=/dev/zero',
        `of=/dev/drbd${vol.drbd_minor}`,
        'bs=4096',
        'count=1',
        'oflag=direct',
      ]);
      assert.notEqual(dd.code, 0, 'the secondary device must refuse writes');
      assert.doesNotMatch(
        (await onHost(peer, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth1'])).stdout,
        new RegExp(`${creds.host}/`),
      );
      await new Promise((r) => setTimeout(r, 5000));
      assert.equal(
        (await ha.failoversOf(db.id)).length,
        before,
        'a cut replication link is not a dead host: no failover',
      );
    } finally {
      await onHost(peer, 'ip', ['link', 'set', 'eth2', 'up']);
    }
    await waitFor(
      'the mirror to heal',
      async () =>
        (await stack.metadata('SELECT mirror_state FROM volumes WHERE id = $1', [vol.id]))[0].mirror_state === 'synced',
      120_000,
    );
    assert.equal(await count(creds), 1001);
  });

  test('drbd: a primary that lost its link and went on alone, killed 0.5 s later: the peer is outdated and not promoted; an operator accepts the loss', async () => {
    const { db, creds } = drbd;
    const primary = await ha.primaryOf(db.id);
    const peer = otherThan(primary);
    const [vol] = await stack.metadata('SELECT id, drbd_minor FROM volumes WHERE database_id = $1', [db.id]);
    const res = `r-${vol.id}`;
    const before = (await ha.failoversOf(db.id)).length;
    assert.equal(await count(creds), 1001);
    assert.equal(await ha.mirrorState(db.id), 'synced');

    // The replication link cut at the primary, a write under way. DRBD notices within its timeout, freezes the
    // primary's I/O and runs the fence-peer handler: the write waits for the control plane's answer.
    await onHost(primary, 'ip', ['link', 'set', 'eth2', 'down']);
    const cutAt = Date.now();
    const lone = viaVip(creds, (pg) => pg.query(`INSERT INTO t VALUES (1002, 'written alone')`)).then(
      () => ({ ok: true as const, at: Date.now() }),
      (err: Error) => ({ ok: false as const, err }),
    );
    try {
      // The answer is the request's token, written only once the mirror is recorded degraded.
      const token = await waitFor(
        'the fence-peer request to be answered',
        async () => {
          const m = await ha.fenceMarkers(primary);
          return m[`${res}.request`] && m[`${res}.ack`] === m[`${res}.request`] ? m[`${res}.ack`] : null;
        },
        90_000,
      );
      console.log(`# fence-peer request ${token} answered ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut`);
      const [v] = await stack.metadata('SELECT mirror_state FROM volumes WHERE id = $1', [vol.id]);
      assert.equal(v.mirror_state, 'degraded', 'recorded before the answer');
      const [ev] = await stack.metadata(
        `SELECT message FROM events WHERE database_id = $1 AND type = 'database.mirror-degraded' ORDER BY created_at DESC LIMIT 1`,
        [db.id],
      );
      assert.match(ev?.message ?? '', new RegExp(`its copy on ${peer} marked outdated`), ev?.message);
      assert.equal((await onHost(peer, 'drbdadm', ['dstate', res])).stdout.trim(), 'Outdated/DUnknown');
      assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim(), 'Secondary/Unknown');
      // The primary goes on alone: the write commits there only.
      const w = await Promise.race([
        lone,
        new Promise<{ ok: false; err: Error }>((r) =>
          setTimeout(() => r({ ok: false, err: new Error('the write stayed frozen') }), 60_000),
        ),
      ]);
      assert.ok(w.ok, w.ok ? '' : w.err.message);
      console.log(`# the lone write committed ${((w.at - cutAt) / 1000).toFixed(1)} s after the cut`);
      assert.equal(await count(creds), 1002);
    } catch (err) {
      // Not the state the rest of this test (and the next ones) expect: the link back, the mirror left to heal.
      await onHost(primary, 'ip', ['link', 'set', 'eth2', 'up']);
      throw err;
    }
    // Half a second later the primary dies, its link still cut.
    await new Promise((r) => setTimeout(r, 500));
    await ha.powerCut(primary);

    // Detected, fenced, and refused for good: the peer may lack committed writes (row 1002).
    const f = await waitFor(
      'the failover to stop short of promoting the peer',
      async () => {
        const list = await ha.failoversOf(db.id);
        return list.length > before && list[0].status !== 'running' ? list[0] : null;
      },
      5 * 60_000,
    );
    console.log(`# refused: ${f.error}`);
    assert.equal(f.status, 'failed');
    assert.equal(f.reason, 'host-down');
    assert.equal(f.fromHost.name, primary);
    assert.match(f.error, /^safety failed: the mirror was degraded at its last reading/);
    assert.match(f.error, new RegExp(`the copy on ${peer} may lack committed writes and was not promoted`));
    assert.match(f.error, /"acceptDataLoss": true/);
    assert.ok(f.timeline.fencedAt, 'fenced');
    assert.equal(f.timeline.storageMovedAt, null, 'nothing taken over');
    const [op] = await stack.metadata('SELECT status, attempts FROM operations WHERE id = $1', [f.operationId]);
    assert.deepEqual([op.status, op.attempts], ['failed', 1], 'a refusal is not retried');
    assert.equal(
      (await stack.metadata('SELECT status FROM databases WHERE id = $1', [db.id]))[0].status,
      'error',
      'the database waits for an operator',
    );
    assert.equal(await ha.primaryOf(db.id), primary);
    assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim(), 'Secondary/Unknown', 'not promoted');
    assert.equal((await onHost(peer, 'drbdadm', ['dstate', res])).stdout.trim(), 'Outdated/DUnknown');
    assert.equal((await onHost(peer, 'docker', ['ps', '-q', '--filter', `name=^dbaas-${db.id}$`])).stdout.trim(), '');

    // An operator's failover without the flag is refused at once, with the reason; nothing starts.
    const refused = await stack.request('POST', `/admin/v1/databases/${db.id}/failover`, {
      key: stack.operatorKey,
      body: {},
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.message, /the mirror was degraded.*acceptDataLoss/s);
    assert.equal((await ha.failoversOf(db.id)).length, before + 1);

    // The operator decides: the peer's copy is promoted (forced: it is Outdated), the lone write is lost.
    const accepted = await stack.request('POST', `/admin/v1/databases/${db.id}/failover`, {
      key: stack.operatorKey,
      body: { acceptDataLoss: true },
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.reason, 'manual');
    assert.equal(accepted.body.acceptDataLoss, true);
    const answer = await ha.waitAnswers(creds, 5 * 60_000);
    assert.equal(answer.rows, 1001, 'the row written alone on the dead primary is the loss the operator accepted');
    const manual = await waitFor(
      "the operator's failover",
      async () => {
        const [x] = await ha.failoversOf(db.id);
        return x?.id === accepted.body.id && x.status !== 'running' ? x : null;
      },
      120_000,
    );
    assert.equal(manual.status, 'succeeded', manual.error);
    assert.equal(manual.toHost.name, peer);
    assert.equal(await ha.primaryOf(db.id), peer);
    assert.equal((await onHost(peer, 'drbdadm', ['role', res])).stdout.trim().split('/')[0], 'Primary');
    const [acceptedEv] = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'failover.data-loss-accepted'`,
      [db.id],
    );
    assert.match(
      acceptedEv?.message ?? '',
      new RegExp(`accepted data loss: ${peer} promoted although the mirror was degraded`),
    );

    // The old primary comes back and is let in: its diverged copy (row 1002) is the side overwritten.
    const act = await ha.restore(primary);
    assert.deepEqual(act.rejoinedMirrors, [db.id]);
    await waitFor(
      'the mirror to resync over the diverged copy',
      async () => (await ha.mirrorState(db.id)) === 'synced',
      180_000,
    );
    assert.equal((await onHost(primary, 'drbdadm', ['role', res])).stdout.trim(), 'Secondary/Primary');
    assert.equal((await onHost(primary, 'drbdadm', ['dstate', res])).stdout.trim(), 'UpToDate/UpToDate');
    assert.equal(await count(creds), 1001);
  });

  test('drain: a clean switchover moves the drbd primary and its VIP to the peer, with no lost row', async () => {
    const { db, creds } = drbd;
    const primary = await ha.primaryOf(db.id);
    const peer = otherThan(primary);
    const before = (await ha.failoversOf(db.id)).length;
    const res = await stack.request('POST', `/admin/v1/hosts/${ha.hostIds[primary]}/drain`, { key: stack.operatorKey });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.failovers.length, 1);
    const f = await waitFor(
      'the switchover',
      async () => {
        const list = await ha.failoversOf(db.id);
        return list.length > before && list[0].status !== 'running' ? list[0] : null;
      },
      300_000,
    );
    assert.equal(f.status, 'succeeded', f.error);
    assert.equal(f.reason, 'drain');
    console.log(`# drbd switchover timeline (ms): ${JSON.stringify(f.durationsMs)}`);
    assert.equal(await ha.primaryOf(db.id), peer);
    assert.equal(await count(creds), 1001);
    const [vol] = await stack.metadata('SELECT id FROM volumes WHERE database_id = $1', [db.id]);
    // The old primary was demoted, not cut off: it is the peer now, still in sync.
    assert.equal((await onHost(primary, 'drbdadm', ['role', `r-${vol.id}`])).stdout.trim(), 'Secondary/Primary');
    assert.doesNotMatch(
      (await onHost(primary, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth1'])).stdout,
      new RegExp(`${creds.host}/`),
    );
    const act = await stack.request('POST', `/admin/v1/hosts/${ha.hostIds[primary]}/activate`, {
      key: stack.operatorKey,
    });
    assert.equal(act.status, 201);
    assert.equal(act.body.status, 'active');
  });

  test('clone of a drbd database: a frozen copy from the primary; the clone is independent; the mirror stays synced', async () => {
    const { db, creds } = drbd;
    const res = await stack.request('POST', `/v1/databases/${db.id}/clones`, {
      key: ha.key,
      body: { name: 'ha-drbd-copy' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(ha.key, res.body.operationId, 20 * 60_000);
    assert.equal(op.status, 'succeeded', op.error);
    const [ev] = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
      [res.body.id],
    );
    console.log(`# ${ev.message}`);
    // DRBD has no snapshot of its own: the container is paused for the final pass only.
    assert.match(ev.message, /frozen-copy/);
    const frozen = Number(/frozen (\d+) ms/.exec(ev.message)?.[1]);
    assert.ok(frozen > 0 && frozen < 120_000, ev.message);
    const copy = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key: ha.key })).body;
    assert.equal(await count(copy), 1001);
    await ha.viaVip(copy, (pg) => pg.query(`INSERT INTO t (id) VALUES (900001)`));
    assert.equal(await count(copy), 1002);
    assert.equal(await count(creds), 1001);
    const [vol] = await stack.metadata('SELECT id FROM volumes WHERE database_id = $1', [db.id]);
    const primary = await ha.primaryOf(db.id);
    const state = (await onHost(primary, 'drbdadm', ['dstate', `r-${vol.id}`])).stdout.trim();
    assert.equal(state, 'UpToDate/UpToDate');
    const del = await stack.request('DELETE', `/v1/databases/${res.body.id}?purgeBackups=true&confirm=ha-drbd-copy`, {
      key: ha.key,
    });
    assert.equal((await stack.waitOperation(ha.key, del.body.operationId, 10 * 60_000)).status, 'succeeded');
    for (const h of ['host1', 'host2'] as const) {
      assert.equal(await ha.containerState(res.body.id, h), null, `the copy's containers are gone from ${h}`);
      assert.equal(await ha.holderState(res.body.id, h), null, `the copy's network holders are gone from ${h}`);
    }
  });

  test('san: a power cut; the LUN is switched to the other host and reattached there, with all rows', async () => {
    const { db, creds } = await ha.createHa('ha-san', 'san', 'san-small');
    assert.equal(db.volume.driver, 'san-lvm');
    const primary = await ha.primaryOf(db.id);
    const other = otherThan(primary);
    // The backend's one other host is where a takeover goes: it holds the standby.
    await ha.waitStandby(db.id, other);
    await ha.write1000(creds);
    const [lun] = await stack.metadata(
      'SELECT l.iqn, l.dedicated FROM luns l JOIN volumes v ON v.lun_id = l.id WHERE v.database_id = $1',
      [db.id],
    );
    assert.equal(lun.dedicated, true, 'an ha "san" database has a LUN of its own');

    // Worker fault: every worker is killed in the middle of the takeover, and a fresh one finishes it.
    const cutAt = Date.now();
    await ha.powerCut(primary);
    await waitFor(
      'the takeover to be under way',
      async () => {
        const [f] = await ha.failoversOf(db.id);
        return f && f.timeline.fencedAt && !f.timeline.reachableAt ? f : null;
      },
      120_000,
    );
    for (const w of stack.workers) w.kill('SIGKILL');
    stack.workers.length = 0;
    stack.startWorker();

    const answer = await ha.waitAnswers(creds, 5 * 60_000);
    console.log(
      `# san: answering again ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the power cut (workers killed mid-way)`,
    );
    assert.equal(answer.rows, 1000);
    assert.equal(await ha.primaryOf(db.id), other);
    const f = await waitFor(
      'the failover record to finish',
      async () => {
        const [x] = await ha.failoversOf(db.id);
        return x?.status === 'succeeded' ? x : null;
      },
      120_000,
    );
    console.log(
      `# san failover timeline (ms after detection): ${JSON.stringify(f.durationsMs)}, ${f.roundTrips} round trips`,
    );
    // The storage server's ACL switch and its read-back, then login, LVM and mount in one call of the host helper.
    assert.ok(f.roundTrips > 0 && f.roundTrips <= MAX_TAKEOVER_ROUND_TRIPS + 2, `${f.roundTrips} round trips`);
    assert.ok(ha.madeAhead(db.id, other, 'present'), 'the takeover found the standby on the new host');
    assert.ok(await ha.joinsHolder(db.id, other), "it runs in its network holder's namespace");
    // Exactly one primary: the LUN's ACL names only the new host, which alone runs the container.
    const acl = await onHost('storage', 'ls', [`/sys/kernel/config/target/iscsi/${lun.iqn}/tpgt_1/acls`]);
    const initiator = (await onHost(other, 'cat', ['/etc/iscsi/initiatorname.iscsi'])).stdout.match(
      /InitiatorName=(\S+)/,
    )![1];
    assert.deepEqual(acl.stdout.trim().split(/\s+/), [initiator]);
    // The database's container and its network holder, nothing else.
    const ps = await onHost(other, 'docker', ['ps', '--format', '{{.Names}}', '--filter', `name=dbaas-${db.id}`]);
    assert.deepEqual(ps.stdout.trim().split('\n').filter(Boolean).sort(), [`dbaas-${db.id}`, `dbaas-${db.id}-net`]);
    const ops = await stack.metadata(
      `SELECT status FROM operations WHERE database_id = $1 AND type = 'failover-database'`,
      [db.id],
    );
    assert.deepEqual(
      ops.map((o: any) => o.status),
      ['succeeded'],
    );
  });

  test('the admin console draws each finished failover with its whole timeline', async () => {
    const all = (await stack.request('GET', '/admin/v1/failovers', { key: stack.operatorKey })).body;
    const done = all.filter((f: any) => f.status === 'succeeded' && f.timeline.reachableAt);
    assert.ok(done.length >= 2, `finished failovers: ${done.length}`);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      await page.goto(`${stack.apiUrl}/console/`);
      await page.getByTestId('signin-key').fill(stack.operatorKey);
      await page.getByTestId('signin-key').press('Enter');
      await page.getByTestId('nav-failovers').click();
      for (const f of done) {
        await page.getByTestId(`timeline-${f.id}`).waitFor();
        const text = await page.getByTestId(`failover-${f.id}`).innerText();
        assert.match(text, /reachable: [\d.]+ ?s after detection/, text);
        assert.doesNotMatch(text, /waiting|not reached/, text);
      }
      const dir = resolve(__dirname, '../../../test-artifacts/console');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: `${dir}/lab-failovers.png`, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
