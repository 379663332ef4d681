import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackupException, BackupExceptionCode } from '@app/domain/backups/backup.exception';
import { DeleteBackupCommand } from '@app/domain/backups/use-cases/delete-backup/delete-backup.command';
import { DeleteBackupUseCase } from '@app/domain/backups/use-cases/delete-backup/delete-backup.usecase';
import { OperatorRestoreBackupUseCase } from '@app/domain/backups/use-cases/operator-restore-backup/operator-restore-backup.usecase';
import { RestoreBackupCommand } from '@app/domain/backups/use-cases/restore-backup/restore-backup.command';
import { RestoreBackupUseCase } from '@app/domain/backups/use-cases/restore-backup/restore-backup.usecase';
import { TakeBackupUseCase } from '@app/domain/backups/use-cases/take-backup/take-backup.usecase';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import type { BackupEntity, DatabaseEntity } from '@app/persistence/entities';

// The backup use cases with rules of their own (backups/use-cases/*), on fakes of the ports.

const TENANT = '00000000-0000-4000-8000-000000000001';
const BACKUP = '00000000-0000-4000-8000-000000000002';
const DB = '00000000-0000-4000-8000-000000000003';
const OTHER_DB = '00000000-0000-4000-8000-000000000004';

interface World {
  backup?: Partial<BackupEntity> | null;
  source?: Partial<DatabaseEntity> | null;
  db?: Partial<DatabaseEntity>;
  busy?: boolean;
  shared?: string | null;
}

function world(w: World = {}) {
  const log: string[] = [];
  const events: { type: string; message: string }[] = [];
  const provisioned: { cmd: Record<string, unknown>; from: Record<string, unknown> }[] = [];
  const backup =
    w.backup === null
      ? null
      : ({
          id: BACKUP,
          tenantId: TENANT,
          databaseId: DB,
          databaseName: 'orders',
          engine: 'postgresql',
          version: '16',
          status: 'completed',
          deletedAt: null,
          createdAt: new Date('2026-12-01T00:00:00Z'),
          ...w.backup,
        } as BackupEntity);
  const source =
    w.source === null
      ? null
      : ({ id: DB, planId: 'plan1', allowedCidrs: ['10.0.0.0/8'], ...w.source } as DatabaseEntity);
  const backups = {
    getForTenant: async (id: string, tenantId: string) =>
      backup && id === backup.id && tenantId === backup.tenantId ? backup : null,
    get: async (id: string) => (backup && id === backup.id ? backup : null),
    getSealedCredentials: async () => 'sealed-creds',
    markDeleted: async (id: string) => void log.push(`row-deleted:${id}`),
    start: async () => {
      if (w.busy) return { busy: { id: 'op0', type: 'resize-database', status: 'running' } };
      log.push('backup-row');
      return { backup: { id: 'b1' }, operation: { id: 'op1' } };
    },
  };
  const databases = {
    get: async () => source,
    getForTenant: async () => ({ id: DB, tenantId: TENANT, name: 'orders', status: 'running', ...w.db }),
    getSecrets: async () => ({ password: 'sealed-pw', adminPassword: null }),
  };
  const secrets = {
    open: (s: string) =>
      s === 'sealed-creds'
        ? JSON.stringify({ username: 'orders', dbName: 'orders', password: 'pw', adminPassword: 'apw' })
        : 'clear',
    seal: (s: string) => `sealed(${s})`,
  };
  const plans = { get: async () => ({ name: 'small' }) };
  const create = {
    provision: async (cmd: Record<string, unknown>, from: Record<string, unknown>) => {
      provisioned.push({ cmd, from });
      return { database: { id: 'new' }, operation: { id: 'op-new' } };
    },
  };
  const eventRepo = { record: async (e: { type: string; message: string }) => void events.push(e) };
  const targets = {
    remove: async (b: BackupEntity) => void log.push(`archive-removed:${b.id}`),
    choose: async () => ({ description: 'dir:/backups', shared: w.shared ?? null }),
    archivePath: () => '/backups/x',
  };
  const jobs = { enqueue: async (j: { name: string }) => void log.push(`job:${j.name}`) };
  const restore = new RestoreBackupUseCase(
    backups as never,
    databases as never,
    secrets as never,
    plans as never,
    create as never,
  );
  const operatorRestore = new OperatorRestoreBackupUseCase(backups as never, restore);
  const remove = new DeleteBackupUseCase(backups as never, eventRepo as never, targets as never);
  const take = new TakeBackupUseCase(
    databases as never,
    backups as never,
    eventRepo as never,
    secrets as never,
    jobs as never,
    targets as never,
  );
  return { restore, operatorRestore, remove, take, log, events, provisioned };
}

const restoreCmd = (extra: Record<string, unknown> = {}) =>
  RestoreBackupCommand.create({ tenantId: TENANT, backupId: BACKUP, name: 'orders-restored', ...extra });
const code = (c: BackupExceptionCode) => (e: unknown) => e instanceof BackupException && e.code === c;

describe('RestoreBackupUseCase', () => {
  test("a new database from the backup: its engine and version, the source's plan and allow-list, the data's users", async () => {
    const w = world();
    assert.deepEqual(await w.restore.execute(restoreCmd()), { database: { id: 'new' }, operation: { id: 'op-new' } });
    const { cmd, from } = w.provisioned[0];
    assert.deepEqual(cmd, {
      tenantId: TENANT,
      name: 'orders-restored',
      engine: 'postgresql',
      version: '16',
      plan: 'small',
      ha: undefined,
      allowedCidrs: ['10.0.0.0/8'],
    });
    assert.deepEqual(from.origin, { kind: 'backup', backupId: BACKUP, credentials: 'sealed(pw)' });
    assert.equal(from.username, 'orders');
    assert.equal(from.adminPassword, 'sealed(apw)');
    assert.equal(from.operationType, 'restore-backup');
  });

  test('refused: a backup not completed, of another database (nested route), or whose plan is gone', async () => {
    await assert.rejects(
      world({ backup: { status: 'failed' } }).restore.execute(restoreCmd()),
      code(BackupExceptionCode.NotRestorable),
    );
    await assert.rejects(
      world().restore.execute(restoreCmd({ databaseId: OTHER_DB })),
      code(BackupExceptionCode.NotFound),
    );
    await assert.rejects(
      world({ source: null }).restore.execute(restoreCmd()),
      (e: unknown) => e instanceof DatabaseException && e.code === DatabaseExceptionCode.PlanNotFound,
    );
    const w = world({ source: null });
    await w.restore.execute(restoreCmd({ plan: 'medium' }));
    assert.equal(w.provisioned[0].cmd.plan, 'medium');
  });

  test("an operator's restore goes into the backup's own tenant; a deleted backup is not found", async () => {
    const w = world();
    await w.operatorRestore.execute(BACKUP, { name: 'by-operator' });
    assert.equal(w.provisioned[0].cmd.tenantId, TENANT);
    await assert.rejects(
      world({ backup: { deletedAt: new Date() } }).operatorRestore.execute(BACKUP, { name: 'x' }),
      code(BackupExceptionCode.NotFound),
    );
  });
});

describe('DeleteBackupUseCase', () => {
  const del = (confirm?: string) => DeleteBackupCommand.create({ tenantId: TENANT, backupId: BACKUP, confirm });

  test("a purge needs the database's name; a backup still being taken is not removed", async () => {
    for (const confirm of [undefined, 'wrong']) {
      const w = world();
      await assert.rejects(w.remove.execute(del(confirm), 'a'), code(BackupExceptionCode.PurgeNotConfirmed));
      assert.deepEqual(w.log, []);
    }
    const running = world({ backup: { status: 'running' } });
    await assert.rejects(running.remove.execute(del('orders'), 'a'), code(BackupExceptionCode.Busy));
    assert.deepEqual(running.log, []);
  });

  test('confirmed: the archive, then the row, then the event', async () => {
    const w = world();
    await w.remove.execute(del('orders'), 'tenant:key1');
    assert.deepEqual(w.log, [`archive-removed:${BACKUP}`, `row-deleted:${BACKUP}`]);
    assert.equal(w.events[0].type, 'backup.purged');
    assert.match(w.events[0].message, /purged by tenant:key1, confirmed by name/);
  });
});

describe('TakeBackupUseCase', () => {
  test('a running database: the row, its event and its job; a target sharing its failure domain is reported', async () => {
    const w = world({ shared: 'the same host' });
    await w.take.start({ id: DB, tenantId: TENANT, name: 'orders', status: 'running' } as DatabaseEntity, 'manual');
    assert.deepEqual(w.log, ['backup-row', 'job:backup-database']);
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['operation.backup-database', 'backup.same-failure-domain'],
    );
  });

  test('refused: a database that is not running, or busy with another operation', async () => {
    const stopped = world();
    await assert.rejects(
      stopped.take.start({ id: DB, status: 'stopped' } as DatabaseEntity, 'manual'),
      code(BackupExceptionCode.BadState),
    );
    const busy = world({ busy: true });
    await assert.rejects(
      busy.take.start({ id: DB, status: 'running' } as DatabaseEntity, 'scheduled'),
      (e: unknown) => code(BackupExceptionCode.Busy)(e) && /operation op0 \(resize-database\)/.test(String(e)),
    );
    assert.deepEqual(busy.log, []);
  });
});
