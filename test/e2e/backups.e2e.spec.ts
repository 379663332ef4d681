import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Stack } from '../support/stack';
import { TestSshd } from '../support/sshd';
import { clientUri, tlsOptions } from '../support/tls';

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

/**
 * Backups you can trust (issue 16 point 6): encrypted with the tenant's data key, a SHA-256 recorded and checked
 * before every restore, written to a storage server over SSH (a real sshd) rather than beside the data, and kept
 * through a tenant's delete unless an early purge is confirmed (and audited).
 */
describe('backups: encrypted, checksummed, off the database host, protected from deletion', () => {
  const localRoot = mkdtempSync(join(tmpdir(), 'dbaas-backups-local-'));
  const remoteRoot = mkdtempSync(join(tmpdir(), 'dbaas-backups-remote-'));
  let sshd: TestSshd;
  const stack = new Stack({
    name: 'backups',
    env: {
      // The control plane's own disk is the local host's failure domain: the storage server comes first for it.
      BACKUP_TARGET: `local:${localRoot},backend:vault:${remoteRoot}`,
      BACKUP_SCHEDULER_INTERVAL_MS: '1000',
      BACKUP_EVERY_MS: '3600000',
    },
  });
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  let tenant: { id: string; key: string };
  let pgId = '';
  let backupId = '';
  let archivePath = '';

  before(async () => {
    sshd = await TestSshd.create();
    await stack.start();
    tenant = await stack.tenant('vaulted');
    const b = await stack.request('POST', '/admin/v1/storage-backends', {
      key: stack.operatorKey,
      body: {
        name: 'vault',
        portalAddress: '127.0.0.1',
        sshAddress: '127.0.0.1',
        sshPort: sshd.port,
        sshUser: sshd.username,
        sshPrivateKey: sshd.clientKey,
        hostKeyFingerprint: sshd.fingerprints.a,
        volumeGroup: 'unused',
      },
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
  });
  after(async () => {
    await stack.stop();
    await sshd?.destroy();
    rmSync(localRoot, { recursive: true, force: true });
    rmSync(remoteRoot, { recursive: true, force: true });
  });

  const create = async (name: string, engine = 'postgresql') => {
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name, engine, plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    return res.body.id as string;
  };
  const credentials = async (id: string) =>
    (await stack.request('GET', `/v1/databases/${id}/credentials`, { key: tenant.key })).body;
  const backUp = async (id: string) => {
    const res = await stack.request('POST', `/v1/databases/${id}/backups`, { key: tenant.key });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const b = await stack.request('GET', `/v1/backups/${res.body.id}`, { key: tenant.key });
    const [row] = await stack.metadata('SELECT path, target FROM backups WHERE id = $1', [res.body.id]);
    return { view: b.body, path: row.path as string, target: row.target as string };
  };
  const restore = async (id: string, name: string) => {
    const res = await stack.request('POST', `/v1/backups/${id}/restore`, { key: tenant.key, body: { name } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return { id: res.body.id as string, op: await stack.waitOperation(tenant.key, res.body.operationId) };
  };

  test('PostgreSQL: the archive is on the storage server, encrypted (no secret greps out), its SHA-256 recorded', async () => {
    pgId = await create('ledger');
    const c = await credentials(pgId);
    await query(clientUri(c), 'CREATE TABLE secrets (id int primary key, v text)');
    await query(clientUri(c), 'INSERT INTO secrets VALUES (1, $1)', [canary]);
    const b = await backUp(pgId);
    backupId = b.view.id;
    archivePath = b.path;
    assert.equal(b.target, `backend:vault:${remoteRoot}`, 'the storage server, not the database host’s machine');
    assert.ok(archivePath.startsWith(`${remoteRoot}/${tenant.id}/${pgId}/`), archivePath);
    assert.deepEqual(readdirSync(localRoot), [], 'nothing on the control plane’s disk');
    const stored = readFileSync(archivePath);
    assert.equal(leaks(stored, canary), false, 'the secret row is not readable in the stored archive');
    assert.match(b.view.sha256 ?? '', /^[0-9a-f]{64}$/, JSON.stringify(b.view));
    assert.equal(b.view.sha256, createHash('sha256').update(stored).digest('hex'));
    assert.equal(b.view.encrypted, true);
    // The tenant's data key is stored sealed, never in clear.
    const [t] = await stack.metadata('SELECT backup_key FROM tenants WHERE id = $1', [tenant.id]);
    assert.match(t.backup_key, /^v1:/);
  });

  test('restore: the new database has the secret row back', async () => {
    const r = await restore(backupId, 'ledger-copy');
    assert.equal(r.op.status, 'succeeded', r.op.error);
    const rows = await query(clientUri(await credentials(r.id)), 'SELECT v FROM secrets');
    assert.deepEqual(rows, [{ v: canary }]);
  });

  const nothingRestored = async (id: string) => {
    const [db] = await stack.metadata('SELECT status FROM databases WHERE id = $1', [id]);
    assert.equal(db.status, 'error');
    assert.deepEqual(await stack.containersOf(id), [], 'no container was made');
    const [vol] = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [id]);
    const dir = vol?.path ?? join(stack.dataRoot, id);
    assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, `nothing unpacked in ${dir}`);
  };

  test('one flipped byte: the restore is refused with the reason, nothing reaches the target', async () => {
    const good = readFileSync(archivePath);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] ^= 0x01;
    writeFileSync(archivePath, bad);
    try {
      const started = Date.now();
      const r = await restore(backupId, 'ledger-bad');
      assert.equal(r.op.status, 'failed');
      assert.match(r.op.error, /checksum|altered/i, r.op.error);
      assert.ok(Date.now() - started < 30_000, 'refused at once, not after retries');
      await nothingRestored(r.id);
      const [ev] = await stack.metadata(`SELECT message FROM events WHERE type = 'backup.verification-failed'`);
      assert.match(ev.message, new RegExp(backupId));

      // Someone who could also rewrite the recorded checksum: the archive's own tag still refuses it, and what
      // was unpacked before the end of the stream is removed.
      const sum = createHash('sha256').update(bad).digest('hex');
      await stack.metadata('UPDATE backups SET sha256 = $1 WHERE id = $2', [sum, backupId]);
      const r2 = await restore(backupId, 'ledger-bad2');
      assert.equal(r2.op.status, 'failed');
      assert.match(r2.op.error, /failed authentication/, r2.op.error);
      await nothingRestored(r2.id);
    } finally {
      writeFileSync(archivePath, good);
      await stack.metadata('UPDATE backups SET sha256 = $1 WHERE id = $2', [
        createHash('sha256').update(good).digest('hex'),
        backupId,
      ]);
    }
  });

  test('Redis: encrypted too, and restored', async () => {
    const id = await create('sessions', 'redis');
    const c = await credentials(id);
    const r = new Redis({ host: c.host, port: c.port, password: c.password, lazyConnect: true, tls: tlsOptions(c) });
    try {
      await r.connect();
      await r.set('token', canary);
      await r.call('SAVE').catch(() => undefined); // may be refused to tenants: the AOF has it anyway
    } finally {
      // Never left reconnecting: a failed test must still let the file end.
      r.disconnect();
    }
    const b = await backUp(id);
    assert.equal(leaks(readFileSync(b.path), canary), false);
    const back = await restore(b.view.id, 'sessions-copy');
    assert.equal(back.op.status, 'succeeded', back.op.error);
    const c2 = await credentials(back.id);
    const r2 = new Redis({
      host: c2.host,
      port: c2.port,
      password: c2.password,
      lazyConnect: true,
      tls: tlsOptions(c2),
    });
    try {
      await r2.connect();
      assert.equal(await r2.get('token'), canary);
    } finally {
      r2.disconnect();
    }
  });

  test('a tenant’s purge of backups needs the database’s name as confirmation; nothing changes without it', async () => {
    for (const q of ['keepBackups=false', 'keepBackups=false&confirm=wrong', 'purgeBackups=true']) {
      const res = await stack.request('DELETE', `/v1/databases/${pgId}?${q}`, { key: tenant.key });
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, /confirm/);
    }
    const [db] = await stack.metadata('SELECT status FROM databases WHERE id = $1', [pgId]);
    assert.equal(db.status, 'running');
    const single = await stack.request('DELETE', `/v1/backups/${backupId}`, { key: tenant.key });
    assert.equal(single.status, 400, JSON.stringify(single.body));
    assert.ok(existsSync(archivePath));
  });

  test('a tenant’s delete keeps the backups for the retention period, listed and restorable', async () => {
    const del = await stack.request('DELETE', `/v1/databases/${pgId}`, { key: tenant.key });
    assert.equal(del.status, 202);
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    const b = (await stack.request('GET', `/v1/backups/${backupId}`, { key: tenant.key })).body;
    assert.equal(b.status, 'completed');
    assert.ok(Date.parse(b.expiresAt) > Date.now() + 86_400_000, JSON.stringify(b));
    assert.ok(existsSync(archivePath));
    const admin = await stack.request('GET', `/admin/v1/backups?tenantId=${tenant.id}`, { key: stack.operatorKey });
    assert.ok(
      admin.body.some((x: { id: string }) => x.id === backupId),
      'the operator sees it',
    );
    // An operator can restore it too (the tenant's own restore of a deleted database's backup: data.e2e), into the
    // backup's tenant.
    const res = await stack.request('POST', `/admin/v1/backups/${backupId}/restore`, {
      key: stack.operatorKey,
      body: { name: 'ledger-after-delete' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.tenantId, tenant.id);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    const rows = await query(clientUri(await credentials(res.body.id)), 'SELECT v FROM secrets');
    assert.deepEqual(rows, [{ v: canary }]);
  });

  test('an early purge with the confirmation removes the archive, and is in the audit log', async () => {
    const res = await stack.request('DELETE', `/v1/backups/${backupId}?confirm=ledger`, { key: tenant.key });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.equal(existsSync(archivePath), false);
    assert.equal((await stack.request('GET', `/v1/backups/${backupId}`, { key: tenant.key })).status, 404);
    const audit = await stack.request('GET', `/admin/v1/audit?target=${backupId}`, { key: stack.operatorKey });
    const entry = audit.body.find(
      (e: { action: string; statusCode: number }) =>
        e.action === 'DELETE /v1/backups/:backupId' && e.statusCode === 204,
    );
    assert.ok(entry, JSON.stringify(audit.body));
    assert.equal(entry.detail.query?.confirm, 'ledger');
    const [ev] = await stack.metadata(`SELECT message FROM events WHERE type = 'backup.purged'`);
    assert.match(ev.message, new RegExp(backupId));

    // The whole database with its backups, confirmed by name.
    const copy = (await stack.request('GET', '/v1/databases', { key: tenant.key })).body.find(
      (d: { name: string }) => d.name === 'ledger-copy',
    );
    const b = await backUp(copy.id);
    const del = await stack.request('DELETE', `/v1/databases/${copy.id}?purgeBackups=true&confirm=ledger-copy`, {
      key: tenant.key,
    });
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
    assert.equal(existsSync(b.path), false);
    const purge = await stack.request('GET', `/admin/v1/audit?target=${copy.id}`, { key: stack.operatorKey });
    assert.ok(
      purge.body.some((e: { detail: { query?: { confirm?: string } } }) => e.detail.query?.confirm === 'ledger-copy'),
    );
  });
});
