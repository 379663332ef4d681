import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { Stack } from '../support/stack';
import { pgUri, saveCa } from '../support/tls';

async function query(uri: string, sql: string, params: unknown[] = []) {
  const c = new Client({ connectionString: pgUri(uri), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const ids = async (uri: string) => (await query(uri, 'SELECT id FROM t ORDER BY id')).map((r) => Number(r.id));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Expected survivors of retention, computed independently: by calendar day and by the Monday of each week. */
function expectedKept(dates: Date[], daily: number, weekly: number, now: Date): Set<string> {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const monday = (d: Date) => {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    m.setUTCDate(m.getUTCDate() - ((m.getUTCDay() + 6) % 7));
    return day(m);
  };
  const days = new Set<string>();
  for (let i = 0; i < daily; i++) days.add(day(new Date(now.getTime() - i * 86_400_000)));
  const weeks = new Set<string>();
  for (let i = 0; i < weekly; i++) weeks.add(monday(new Date(now.getTime() - i * 7 * 86_400_000)));
  const sorted = [...dates].sort((a, b) => b.getTime() - a.getTime());
  const kept = new Set<string>([sorted[0].toISOString()]);
  const seenD = new Set<string>();
  const seenW = new Set<string>();
  for (const d of sorted) {
    if (days.has(day(d)) && !seenD.has(day(d))) {
      seenD.add(day(d));
      kept.add(d.toISOString());
    }
    if (weeks.has(monday(d)) && !seenW.has(monday(d))) {
      seenW.add(monday(d));
      kept.add(d.toISOString());
    }
  }
  return kept;
}

describe('clones, backups and restores of directory volumes, end to end', () => {
  const backupRoot = mkdtempSync(join(tmpdir(), 'dbaas-backups-'));
  const stack = new Stack({
    name: 'data',
    env: {
      BACKUP_TARGET: `local:${backupRoot}`,
      BACKUP_SCHEDULER_INTERVAL_MS: '1000',
      // Long enough that no scheduled backup starts during the test unless it back-dates a database.
      BACKUP_EVERY_MS: '3600000',
    },
  });
  let tenant: { id: string; key: string };
  let other: { id: string; key: string };
  let srcId = '';
  let src: { uri: string; password: string; username: string };
  let cloneId = '';
  let backupId = '';

  before(async () => {
    await stack.start();
    await saveCa(stack.apiUrl);
    tenant = await stack.tenant('acme');
    other = await stack.tenant('globex');
  });
  after(async () => {
    await stack.stop();
    rmSync(backupRoot, { recursive: true, force: true });
  });

  const create = async (name: string) => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name, engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    return res.body.id as string;
  };
  const credentials = async (id: string) =>
    (await stack.request('GET', `/v1/databases/${id}/credentials`, { key: tenant.key })).body;

  test('source: a running PostgreSQL with 100 rows', async () => {
    srcId = await create('source');
    src = await credentials(srcId);
    await query(src.uri, 'CREATE TABLE t (id int primary key, v text)');
    await query(src.uri, `INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 100) g`);
  });

  test('clone: the clone has the rows, its own password, and the source kept running', async () => {
    const container = (await stack.containersOf(srcId))[0];
    const startedBefore = (await stack.docker.getContainer(container.Id).inspect()).State.StartedAt;
    const res = await stack.request('POST', `/v1/databases/${srcId}/clones`, {
      key: tenant.key,
      body: { name: 'source-copy' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'provisioning');
    cloneId = res.body.id;
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.type, 'clone-database');
    // Progress of the copy: files and bytes, ending complete.
    assert.ok(op.transfer, 'the operation reports its transfer');
    assert.ok(op.transfer.filesTotal > 100, JSON.stringify(op.transfer));
    assert.equal(op.transfer.filesDone, op.transfer.filesTotal);
    assert.equal(op.transfer.bytesDone, op.transfer.bytesTotal);

    const copy = await credentials(cloneId);
    assert.notEqual(copy.password, src.password);
    assert.equal(copy.username, src.username, 'the users inside the data are the source’s');
    assert.deepEqual(await ids(copy.uri), range(1, 100));
    // The old password no longer opens the clone.
    await assert.rejects(
      query(copy.uri.replace(encodeURIComponent(copy.password), encodeURIComponent(src.password)), 'SELECT 1'),
    );

    const after = (await stack.docker.getContainer(container.Id).inspect()).State;
    assert.equal(after.Running, true);
    assert.equal(after.Paused, false);
    assert.equal(after.StartedAt, startedBefore, 'the source was never restarted');
    const events = await stack.metadata(
      `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
      [cloneId],
    );
    assert.match(events[0].message, /frozen-copy .*frozen \d+ ms/);
  });

  test('clone and source are independent: writes to one never reach the other', async () => {
    const copy = await credentials(cloneId);
    await query(copy.uri, `INSERT INTO t VALUES (1001, 'only in the clone')`);
    await query(src.uri, `INSERT INTO t VALUES (2001, 'only in the source')`);
    assert.deepEqual(await ids(copy.uri), [...range(1, 100), 1001]);
    assert.deepEqual(await ids(src.uri), [...range(1, 100), 2001]);
  });

  test('backup: taken, listed with size and time, archived on the backup target', async () => {
    const res = await stack.request('POST', `/v1/databases/${srcId}/backups`, { key: tenant.key });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    backupId = res.body.id;
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.transfer.phase.startsWith('backup'), true);
    const list = await stack.request('GET', `/v1/databases/${srcId}/backups`, { key: tenant.key });
    assert.equal(list.status, 200);
    const b = list.body.find((x: { id: string }) => x.id === backupId);
    assert.equal(b.status, 'completed');
    assert.equal(b.kind, 'manual');
    assert.equal(b.method, 'frozen-copy');
    assert.ok(b.sizeBytes > 1000 && b.files > 100, JSON.stringify(b));
    assert.ok(Date.parse(b.completedAt) >= Date.parse(b.createdAt));
    const rows = await stack.metadata('SELECT path FROM backups WHERE id = $1', [backupId]);
    assert.ok(rows[0].path.startsWith(`${backupRoot}/${tenant.id}/${srcId}/`));
    assert.ok(existsSync(rows[0].path));
    // Other tenants see nothing of it.
    const theirs = await stack.request('GET', `/v1/databases/${srcId}/backups`, { key: other.key });
    assert.equal(theirs.status, 404);
    assert.equal((await stack.request('GET', `/v1/backups/${backupId}`, { key: other.key })).status, 404);
  });

  test('restore: a new database with the rows of the backup and not the later ones', async () => {
    await query(src.uri, `INSERT INTO t SELECT g, 'after the backup' FROM generate_series(3001, 3050) g`);
    const res = await stack.request('POST', `/v1/databases/${srcId}/backups/${backupId}/restore`, {
      key: tenant.key,
      body: { name: 'restored' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.type, 'restore-backup');
    const restored = await credentials(res.body.id);
    assert.deepEqual(await ids(restored.uri), [...range(1, 100), 2001]);
    assert.equal((await ids(src.uri)).length, 151, 'the source is untouched');
  });

  test('bad requests get a 4xx and create nothing', async () => {
    const count = async () =>
      Number((await stack.metadata(`SELECT count(*) AS n FROM databases WHERE tenant_id = $1`, [tenant.id]))[0].n);
    const before = await count();
    const cases: [string, string, unknown, number][] = [
      ['POST', `/v1/databases/${srcId}/clones`, { name: 'Bad Name; rm -rf /' }, 400],
      ['POST', `/v1/databases/${srcId}/clones`, { name: 'xx2', extra: 1 }, 400],
      ['POST', `/v1/databases/${srcId}/clones`, { name: 'source' }, 409],
      ['POST', `/v1/databases/${srcId}/clones`, { name: 'tiny', plan: 'no-such-plan' }, 400],
      ['POST', `/v1/databases/00000000-0000-4000-8000-000000000000/clones`, { name: 'ghost' }, 404],
      ['POST', `/v1/databases/${srcId}/backups/00000000-0000-4000-8000-000000000000/restore`, { name: 'rr2' }, 404],
      ['POST', `/v1/databases/${cloneId}/backups/${backupId}/restore`, { name: 'rr3' }, 404],
      ['POST', `/v1/backups/${backupId}/restore`, { name: '$(id)' }, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await stack.request(method, path, { key: tenant.key, body });
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.message, 'a readable message');
    }
    // Another tenant cannot clone or restore this tenant's data.
    const theirs = await stack.request('POST', `/v1/databases/${srcId}/clones`, {
      key: other.key,
      body: { name: 'steal' },
    });
    assert.equal(theirs.status, 404);
    assert.equal(await count(), before);
  });

  test('retention: scheduled backups beyond the plan’s days and weeks are pruned, files included', async () => {
    await stack.metadata(`UPDATE plans SET backup_daily = 3, backup_weekly = 3 WHERE name = 'small'`);
    const now = new Date();
    const made: { id: string; at: Date; path: string }[] = [];
    for (let i = 0; i < 30; i++) {
      // Minutes old at most for the newest: the schedule (hourly here) must not find the database due.
      const at = new Date(now.getTime() - i * 86_400_000 - 60_000);
      const [row] = await stack.metadata(
        `INSERT INTO backups (tenant_id, database_id, database_name, engine, version, kind, status, method, target, path,
           size_bytes, files, created_at, completed_at)
         VALUES ($1, $2, 'source', 'postgresql', '15', 'scheduled', 'completed', 'frozen-copy', $3, '', 4, 1, $4, $4)
         RETURNING id`,
        [tenant.id, srcId, `local:${backupRoot}`, at],
      );
      const path = `${backupRoot}/${tenant.id}/${srcId}/${row.id}.tar.gz`;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, 'fake');
      await stack.metadata('UPDATE backups SET path = $1 WHERE id = $2', [path, row.id]);
      made.push({ id: row.id, at, path });
    }
    const kept = expectedKept(
      made.map((m) => m.at),
      3,
      3,
      now,
    );
    assert.ok(kept.size >= 3 && kept.size <= 6, `${kept.size}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const live = await stack.metadata(
        `SELECT id FROM backups WHERE database_id = $1 AND kind = 'scheduled' AND deleted_at IS NULL`,
        [srcId],
      );
      if (live.length === kept.size) break;
      if (Date.now() > deadline) assert.fail(`${live.length} scheduled backups left, expected ${kept.size}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const m of made) {
      const keep = kept.has(m.at.toISOString());
      assert.equal(existsSync(m.path), keep, `${m.at.toISOString()} ${keep ? 'kept' : 'pruned'}`);
    }
    // The manual backup is not subject to the schedule's retention.
    assert.ok(existsSync((await stack.metadata('SELECT path FROM backups WHERE id = $1', [backupId]))[0].path));
  });

  test('schedule: a database whose last backup is older than the period gets a scheduled one', async () => {
    const copy = await credentials(cloneId);
    await query(copy.uri, 'SELECT 1');
    await stack.metadata(`UPDATE databases SET created_at = now() - interval '2 hours' WHERE id = $1`, [cloneId]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows = await stack.metadata(`SELECT status FROM backups WHERE database_id = $1 AND kind = 'scheduled'`, [
        cloneId,
      ]);
      if (rows.some((r) => r.status === 'completed')) break;
      if (Date.now() > deadline) assert.fail(`no completed scheduled backup: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  test('delete keeps the backups for the retention period; keepBackups=false removes them', async () => {
    const del = await stack.request('DELETE', `/v1/databases/${srcId}`, { key: tenant.key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    const all = await stack.request('GET', '/v1/backups', { key: tenant.key });
    const b = all.body.find((x: { id: string }) => x.id === backupId);
    assert.ok(b, 'the deleted database’s backup is still listed');
    // small now keeps 3 days and 3 weeks: 21 days.
    const days = (Date.parse(b.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 20.9 && days <= 21, `${days}`);
    // And it still restores.
    const res = await stack.request('POST', `/v1/backups/${backupId}/restore`, {
      key: tenant.key,
      body: { name: 'from-deleted' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    assert.deepEqual(await ids((await credentials(res.body.id)).uri), [...range(1, 100), 2001]);

    const scheduled = await stack.metadata(`SELECT path FROM backups WHERE database_id = $1 AND deleted_at IS NULL`, [
      cloneId,
    ]);
    assert.ok(scheduled.length >= 1);
    const bad = await stack.request('DELETE', `/v1/databases/${cloneId}?keepBackups=maybe`, { key: tenant.key });
    assert.equal(bad.status, 400);
    // An early purge is confirmed by the database's name (backups-e2e covers the refusals).
    const gone = await stack.request('DELETE', `/v1/databases/${cloneId}?keepBackups=false&confirm=source-copy`, {
      key: tenant.key,
    });
    assert.equal(gone.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, gone.body.operationId)).status, 'succeeded');
    for (const s of scheduled) assert.equal(existsSync(s.path), false);
    const left = await stack.metadata(
      `SELECT count(*) AS n FROM backups WHERE database_id = $1 AND deleted_at IS NULL`,
      [cloneId],
    );
    assert.equal(Number(left[0].n), 0);
  });

  test('move: refused with a clear reason when no other host can take it', async () => {
    const restored = (await stack.request('GET', '/v1/databases', { key: tenant.key })).body.find(
      (d: { name: string }) => d.name === 'restored',
    );
    const op = stack.operatorKey;
    const none = await stack.request('POST', `/admin/v1/databases/${restored.id}/move`, { key: op, body: {} });
    assert.equal(none.status, 503, JSON.stringify(none.body));
    const bad = await stack.request('POST', `/admin/v1/databases/${restored.id}/move`, {
      key: op,
      body: { targetHostId: 'not-a-uuid' },
    });
    assert.equal(bad.status, 400);
    const tenantKey = await stack.request('POST', `/admin/v1/databases/${restored.id}/move`, {
      key: tenant.key,
      body: {},
    });
    assert.equal(tenantKey.status, 403);
  });
});
