import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { NetnsFleet } from '../support/netns-fleet';
import { Stack, until } from '../support/stack';
import { clientUri } from '../support/tls';

async function query(uri: string, sql: string, params: unknown[] = []) {
  const c = new Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Whether `needle` is anywhere in the stored bytes, or in them once gunzipped (a plain tar.gz). */
function leaks(file: Buffer, needle: string): boolean {
  if (file.includes(needle)) return true;
  try {
    return gunzipSync(file).includes(needle);
  } catch {
    return false; // not gzip: nothing readable without the key
  }
}

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1));
}

/**
 * Issue 16 point 6, the `host:<registered host>:/path` backup target with a real host: a network namespace with its
 * own address and sshd (test/support/netns-fleet), registered through the API and drained so no database lands
 * there. The database runs on the control plane's machine; its backups go over SSH to the other host. The host
 * shares this machine's filesystem, so the test reads the archive where the host stored it.
 */
describe('backups on a registered host: stored there encrypted and checksummed, restored, refused when altered', () => {
  const fleet = new NetnsFleet(1);
  // The backup directory as the host sees it (its own path; the same files on this machine's disk).
  const hostRoot = mkdtempSync(join(tmpdir(), 'dbaas-backup-host-'));
  const localRoot = mkdtempSync(join(tmpdir(), 'dbaas-backup-local-'));
  const stack = new Stack({
    name: 'backup-host-target',
    env: {
      BACKUP_TARGET: `host:nh1:${hostRoot},local:${localRoot}`,
      // No scheduled backup in the way of the ones this test takes.
      BACKUP_SCHEDULER_INTERVAL_MS: '3600000',
      // A target that cannot be reached fails the backup in two attempts, not five.
      JOB_ATTEMPTS: '2',
    },
  });
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  let tenant: { id: string; key: string };
  let dbId = '';
  let backupId = '';
  let archivePath = '';

  before(async () => {
    await fleet.start();
    await stack.start();
    tenant = await stack.tenant('offsite');
    const [h] = fleet.hosts;
    // No fencing: this host carries no database, and cutting its cable must not power it off.
    const reg = await stack.request('POST', '/admin/v1/hosts', {
      key: stack.operatorKey,
      body: { ...fleet.registration(h), fencing: undefined },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const drained = await stack.request('POST', `/admin/v1/hosts/${reg.body.id}/drain`, { key: stack.operatorKey });
    assert.ok(drained.status < 300, JSON.stringify(drained.body));
  });
  after(async () => {
    try {
      await stack.stop();
    } finally {
      fleet.destroy();
      rmSync(hostRoot, { recursive: true, force: true });
      rmSync(localRoot, { recursive: true, force: true });
    }
  });

  const credentials = async (id: string) =>
    (await stack.request('GET', `/v1/databases/${id}/credentials`, { key: tenant.key })).body;
  const startBackup = async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/backups`, { key: tenant.key });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const [row] = await stack.metadata('SELECT path, target FROM backups WHERE id = $1', [res.body.id]);
    return { id: res.body.id as string, operationId: res.body.operationId as string, ...row };
  };
  const restore = async (id: string, name: string) => {
    const res = await stack.request('POST', `/v1/backups/${id}/restore`, { key: tenant.key, body: { name } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return { id: res.body.id as string, op: await stack.waitOperation(tenant.key, res.body.operationId) };
  };

  test('PostgreSQL on this machine: the archive lands on the other host, encrypted, its SHA-256 recorded', async () => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'ledger', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId)).status, 'succeeded');
    dbId = res.body.id;
    const [placed] = await stack.metadata(
      'SELECT h.name FROM databases d JOIN hosts h ON h.id = d.host_id WHERE d.id = $1',
      [dbId],
    );
    assert.notEqual(placed.name, 'nh1', 'the database is not on the backup host');
    const uri = clientUri(await credentials(dbId));
    await query(uri, 'CREATE TABLE secrets (id int primary key, v text)');
    await query(uri, 'INSERT INTO secrets VALUES (1, $1)', [canary]);

    const b = await startBackup();
    const op = await stack.waitOperation(tenant.key, b.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    backupId = b.id;
    archivePath = b.path;
    assert.equal(b.target, `host:nh1:${hostRoot}`);
    assert.equal(archivePath, `${hostRoot}/${tenant.id}/${dbId}/${backupId}.tar.gz.enc`);
    assert.deepEqual(filesUnder(hostRoot), [`${tenant.id}/${dbId}/${backupId}.tar.gz.enc`]);
    assert.deepEqual(filesUnder(localRoot), [], 'nothing on the control plane’s disk');
    // Root's alone on the host.
    assert.equal(statSync(dirname(archivePath)).mode & 0o777, 0o700);
    const stored = readFileSync(archivePath);
    assert.equal(leaks(stored, canary), false, 'the secret row is not readable in the stored archive');
    const view = (await stack.request('GET', `/v1/backups/${backupId}`, { key: tenant.key })).body;
    assert.equal(view.status, 'completed');
    assert.equal(view.encrypted, true);
    assert.equal(view.sha256, createHash('sha256').update(stored).digest('hex'));
    const [ev] = await stack.metadata(`SELECT message FROM events WHERE type = 'operation.backup-database'`);
    assert.match(ev.message, new RegExp(`to host:nh1:${hostRoot}`));
  });

  test('restore from the host: the new database has the secret row', async () => {
    const r = await restore(backupId, 'ledger-copy');
    assert.equal(r.op.status, 'succeeded', r.op.error);
    assert.deepEqual(await query(clientUri(await credentials(r.id)), 'SELECT v FROM secrets'), [{ v: canary }]);
  });

  test('one byte altered on the host: the restore is refused with the reason, nothing restored', async () => {
    const good = readFileSync(archivePath);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 3)] ^= 0x20;
    writeFileSync(archivePath, bad);
    try {
      const r = await restore(backupId, 'ledger-bad');
      assert.equal(r.op.status, 'failed');
      assert.match(r.op.error, /checksum|altered/i, r.op.error);
      const [db] = await stack.metadata('SELECT status FROM databases WHERE id = $1', [r.id]);
      assert.equal(db.status, 'error');
      assert.deepEqual(await stack.containersOf(r.id), [], 'no container was made');
      const [ev] = await stack.metadata(`SELECT message FROM events WHERE type = 'backup.verification-failed'`);
      assert.match(ev.message, new RegExp(backupId));
    } finally {
      writeFileSync(archivePath, good);
    }
  });

  test('the host’s cable pulled during a backup: it fails naming the target, nothing half-written counts as good', async () => {
    const [h] = fleet.hosts;
    const size = statSync(archivePath).size;
    // Slow enough that the write lasts ~10 s: the cable is pulled in the middle of it.
    fleet.limitRate(h, `${Math.max(256, Math.round((size * 8) / 10 / 1000))}kbit`);
    let b: { id: string; operationId: string; path: string; target: string };
    try {
      b = await startBackup();
      assert.equal(b.target, `host:nh1:${hostRoot}`);
      // Under its own name or a temporary one, whichever the runner writes first.
      const writing = (f: string) => existsSync(f) && statSync(f).size > 0;
      await until(
        'the archive being written on the host',
        async () => writing(b.path) || writing(`${b.path}.partial`),
        60_000,
      );
      fleet.cutLink(h);
    } finally {
      fleet.limitRate(h, null);
    }
    try {
      const op = await stack.waitOperation(tenant.key, b.operationId, 180_000);
      assert.equal(op.status, 'failed');
      assert.match(op.error, /nh1/, `the error names the target: ${op.error}`);
      const [row] = await stack.metadata('SELECT status, error, sha256, completed_at FROM backups WHERE id = $1', [
        b.id,
      ]);
      assert.equal(row.status, 'failed');
      assert.match(row.error, /nh1/);
      assert.equal(row.sha256, null);
      assert.equal(row.completed_at, null);
      const view = (await stack.request('GET', `/v1/backups/${b.id}`, { key: tenant.key })).body;
      assert.equal(view.status, 'failed');
      const refused = await stack.request('POST', `/v1/backups/${b.id}/restore`, {
        key: tenant.key,
        body: { name: 'ledger-partial' },
      });
      assert.ok(refused.status >= 400 && refused.status < 500, JSON.stringify(refused.body));
      // The database itself was never stopped for good by the failed backup.
      assert.deepEqual(await query(clientUri(await credentials(dbId)), 'SELECT v FROM secrets'), [{ v: canary }]);
    } finally {
      fleet.healLink(h);
    }
    // What reached the host is not under the archive's name: nothing there can pass for a whole backup.
    assert.equal(existsSync(b.path), false, `a partial archive sits at ${b.path}`);
    assert.deepEqual(
      filesUnder(hostRoot).filter((f) => f.endsWith('.tar.gz.enc')),
      [`${tenant.id}/${dbId}/${backupId}.tar.gz.enc`],
    );

    // The cable back: the next backup lands on the host again.
    const next = await startBackup();
    const op = await stack.waitOperation(tenant.key, next.operationId, 120_000);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(next.target, `host:nh1:${hostRoot}`);
    const view = (await stack.request('GET', `/v1/backups/${next.id}`, { key: tenant.key })).body;
    assert.equal(view.sha256, createHash('sha256').update(readFileSync(next.path)).digest('hex'));
  });
});
