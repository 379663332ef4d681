import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackupStore, BackupTargets, partialPath } from '../../../../../libs/domain/src/backups/backup-target.service';
import type { TreeSync } from '../../../../../libs/domain/src/ports';
import { checkPath } from '../../../../../libs/storage/src/sync/paths';
import { fail, FakeExecutor, ok } from '../../../../support/fake-executor';

const ARCHIVE = '/srv/backups/t/d/b.tar.gz.enc';

/** BackupTargets with only what commit() and remove() use: the tree sync's path check and removal. */
function targets(exec: FakeExecutor, removed: string[] = []) {
  const sync = {
    checkPath,
    removePath: async (_loc: unknown, path: string) => void removed.push(path),
  } as unknown as TreeSync;
  const none = {} as never;
  const t = new BackupTargets(
    { BACKUP_TARGET: 'host:vault:/srv/backups' } as never,
    { executor: async () => exec } as never,
    none,
    { findByName: async () => ({ name: 'vault' }) } as never,
    none,
    none,
    sync,
  );
  const store: BackupStore = { exec, root: '/srv/backups', description: 'host:vault:/srv/backups', label: 'vault' };
  return { t, store };
}

describe('backup targets: an archive takes its name only once checked', () => {
  test('commit renames the partial file over the archive in one step, then syncs its directory', async () => {
    const exec = new FakeExecutor().on(() => true, ok());
    const { t, store } = targets(exec);
    await t.commit(store, ARCHIVE);
    assert.deepEqual(exec.argvs, [
      ['mv', '-f', '-T', '--', `${ARCHIVE}.partial`, ARCHIVE],
      ['sync', '--', '/srv/backups/t/d'],
    ]);
    assert.equal(partialPath(ARCHIVE), `${ARCHIVE}.partial`);
  });

  test('a failed rename fails the commit with the cause, and nothing runs after it', async () => {
    const exec = new FakeExecutor().on((a) => a[0] === 'mv', fail(1, 'mv: cannot stat: No such file'));
    const { t, store } = targets(exec);
    await assert.rejects(t.commit(store, ARCHIVE), /mv failed on vault \(exit 1\): mv: cannot stat/);
    assert.equal(exec.calls.length, 1);
  });

  test('an unsafe path is refused before anything runs', async () => {
    const exec = new FakeExecutor();
    const { t, store } = targets(exec);
    await assert.rejects(t.commit(store, '/srv/backups/../etc/x'), /invalid/);
    assert.equal(exec.calls.length, 0);
  });

  test('remove takes a partial file left by a failed write along with the archive', async () => {
    const exec = new FakeExecutor().on((a) => a[0] === 'rmdir', ok());
    const removed: string[] = [];
    const { t } = targets(exec, removed);
    await t.remove({ target: 'host:vault:/srv/backups', path: ARCHIVE });
    assert.deepEqual(removed, [ARCHIVE, `${ARCHIVE}.partial`]);
    assert.deepEqual(exec.argvs, [['rmdir', '--ignore-fail-on-non-empty', '--', '/srv/backups/t/d']]);
  });

  test('a target that cannot be reached is named in the failure (SSH alone says only "handshake")', async () => {
    const unreachable = {
      run: () => Promise.reject(new Error('Timed out while waiting for handshake')),
      spawn: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.9:22')),
    };
    const t = new BackupTargets(
      { BACKUP_TARGET: 'host:vault:/srv/backups' } as never,
      { executor: async () => unreachable } as never,
      {} as never,
      { findByName: async () => ({ name: 'vault' }) } as never,
      {} as never,
      {} as never,
      { checkPath } as unknown as TreeSync,
    );
    const store = await t.open('host:vault:/srv/backups');
    await assert.rejects(
      store.exec.run(['true']),
      /^Error: backup target host:vault:\/srv\/backups: Timed out while waiting for handshake$/,
    );
    await assert.rejects(store.exec.spawn(['cat']), /backup target host:vault:\/srv\/backups: connect ECONNREFUSED/);
    await assert.rejects(t.sha256(store, ARCHIVE), /host:vault/);
  });
});
