import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

/**
 * An operator's early purge of one backup (issue 16 point 6: purging before the retention ends needs an explicit
 * confirmation and is audited): DELETE /admin/v1/backups/:id?confirm=<database name>, for any tenant's backup, a
 * deleted database's included. A real backup taken by the worker onto a local target.
 */
describe('backups: an operator purges one backup early, confirmed by name and audited', () => {
  const root = mkdtempSync(join(tmpdir(), 'dbaas-backups-admin-'));
  const stack = new Stack({
    name: 'backup-admin-purge',
    env: { BACKUP_TARGET: `local:${root}`, BACKUPS_ENABLED: 'false' },
  });
  const op = () => ({ key: stack.operatorKey });
  let tenant: { id: string; key: string };
  let dbId = '';
  let backupId = '';
  let archive = '';

  before(async () => {
    await stack.start();
    tenant = await stack.tenant('purged');
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'archive-me', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId)).status, 'succeeded');
    const b = await stack.request('POST', `/v1/databases/${dbId}/backups`, { key: tenant.key });
    assert.equal(b.status, 202, JSON.stringify(b.body));
    const done = await stack.waitOperation(tenant.key, b.body.operationId);
    assert.equal(done.status, 'succeeded', done.error);
    backupId = b.body.id;
    [{ path: archive }] = await stack.metadata('SELECT path FROM backups WHERE id = $1', [backupId]);
    assert.ok(archive.startsWith(root) && existsSync(archive), archive);
    // The tenant deletes its database: the backup stays for the retention period.
    const del = await stack.request('DELETE', `/v1/databases/${dbId}`, { key: tenant.key });
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await stack.waitOperation(tenant.key, del.body.operationId)).status, 'succeeded');
  });
  after(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const listed = async () =>
    (await stack.request('GET', `/admin/v1/backups?tenantId=${tenant.id}`, op())).body.some(
      (b: { id: string }) => b.id === backupId,
    );

  test('refused without the confirmation, with another name, with a tenant key, or while being taken', async () => {
    for (const q of ['', '?confirm=', '?confirm=wrong', '?confirm=ARCHIVE-ME']) {
      const r = await stack.request('DELETE', `/admin/v1/backups/${backupId}${q}`, op());
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.message), /confirm.*"archive-me"/);
    }
    const long = await stack.request('DELETE', `/admin/v1/backups/${backupId}?confirm=${'x'.repeat(101)}`, op());
    assert.equal(long.status, 400);
    const asTenant = await stack.request('DELETE', `/admin/v1/backups/${backupId}?confirm=archive-me`, {
      key: tenant.key,
    });
    assert.equal(asTenant.status, 403);
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      const r = await stack.request('DELETE', `/admin/v1/backups/${id}?confirm=archive-me`, op());
      assert.equal(r.status, 404, `${id}: ${JSON.stringify(r.body)}`);
    }
    await stack.metadata(`UPDATE backups SET status = 'running' WHERE id = $1`, [backupId]);
    try {
      const busy = await stack.request('DELETE', `/admin/v1/backups/${backupId}?confirm=archive-me`, op());
      assert.equal(busy.status, 409, JSON.stringify(busy.body));
    } finally {
      await stack.metadata(`UPDATE backups SET status = 'completed' WHERE id = $1`, [backupId]);
    }
    assert.ok(existsSync(archive), 'the archive is still there');
    assert.ok(await listed(), 'still listed');
    const [row] = await stack.metadata('SELECT deleted_at FROM backups WHERE id = $1', [backupId]);
    assert.equal(row.deleted_at, null);
  });

  test('confirmed: the archive leaves its target, the backup is gone, a backup.purged event and the audit entry', async () => {
    const r = await stack.request('DELETE', `/admin/v1/backups/${backupId}?confirm=archive-me`, op());
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal(existsSync(archive), false, 'the archive is removed from the target');
    assert.equal(await listed(), false);
    assert.equal((await stack.request('GET', `/v1/backups/${backupId}`, { key: tenant.key })).status, 404);
    const restore = await stack.request('POST', `/admin/v1/backups/${backupId}/restore`, {
      ...op(),
      body: { name: 'too-late' },
    });
    assert.equal(restore.status, 404);
    const [row] = await stack.metadata('SELECT deleted_at, credentials FROM backups WHERE id = $1', [backupId]);
    assert.ok(row.deleted_at, 'the row is marked deleted');
    assert.equal(row.credentials, null, 'its sealed credentials are dropped');

    const [ev] = await stack.metadata(`SELECT message, tenant_id FROM events WHERE type = 'backup.purged'`);
    assert.match(ev.message, new RegExp(`${backupId}.*purged by operator:`));
    assert.equal(ev.tenant_id, tenant.id);
    const audit = (await stack.request('GET', `/admin/v1/audit?target=${backupId}`, op())).body;
    const entry = audit.find(
      (e: { action: string; statusCode: number }) =>
        e.action === 'DELETE /admin/v1/backups/:backupId' && e.statusCode === 204,
    );
    assert.ok(entry, JSON.stringify(audit));
    assert.match(entry.actor, /^operator:/);
    assert.equal(entry.detail.query?.confirm, 'archive-me');
    // The refusals are in the audit log too.
    assert.ok(audit.some((e: { statusCode: number }) => e.statusCode === 400));

    const again = await stack.request('DELETE', `/admin/v1/backups/${backupId}?confirm=archive-me`, op());
    assert.equal(again.status, 404);
  });
});
