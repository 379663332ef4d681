import 'reflect-metadata';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { Loaded } from '@app/domain/databases/runtime/database-runtime.service';
import { StepFailed } from '@app/domain/operations/operation-context';
import type { TreeLocation } from '@app/domain/ports';
import { VolumeSeeder } from '@app/domain/volumes/volume-seeder.service';
import type { BackupEntity, DatabaseOrigin } from '@app/persistence/entities';

const HOST_PATH = '/data/v-new';
const SHA = 'a'.repeat(64);

/** The authentication failure the fake cryptography port reports for an altered archive. */
class Tampered extends Error {}

interface Options {
  origin?: DatabaseOrigin;
  engine?: string;
  seededAt?: Date | null;
  backup?: Partial<BackupEntity>;
  extract?: (source: NodeJS.ReadableStream) => Promise<void>;
  storedSha?: string | null;
  cloneVolume?: (() => Promise<{ method: string; frozenMs: number } | { refused: string }>) | null;
  key?: Buffer | null;
}

/** The seeder against fakes of its ports; what it does lands in `log`, in order. */
function world(o: Options = {}) {
  const log: string[] = [];
  const events: { type: string; message: string }[] = [];
  const backup = {
    id: 'b1',
    tenantId: 't1',
    target: 'local:/backups',
    path: '/backups/db0/b1.tar.gz',
    status: 'completed',
    deletedAt: null,
    sizeBytes: 4,
    sha256: SHA,
    encryption: null,
    ...o.backup,
  } as BackupEntity;
  const l = {
    db: { id: 'db-new', tenantId: 't1', engine: o.engine ?? 'mysql', origin: o.origin ?? null },
    host: { id: 'h1', name: 'h1' },
    volume: { id: 'v-new', driver: 'directory', seededAt: o.seededAt ?? null },
  } as unknown as Loaded;
  const source = { db: { id: 'db0', name: 'source-db' }, host: { id: 'h0' } } as unknown as Loaded;
  const crypto = {
    archiveEncryption: 'aes-test',
    decryptArchive: () => new PassThrough(),
    isArchiveAuthenticationError: (err: unknown) => err instanceof Tampered,
  };
  const sync = {
    removePath: async (_loc: unknown, path: string) => void log.push(`rm ${path}`),
    readFile: async (_store: unknown, path: string) => {
      log.push(`read ${path}`);
      return { stream: Readable.from([Buffer.from('tgz!')]), done: Promise.resolve() };
    },
    extractArchive: async (stream: NodeJS.ReadableStream, dst: TreeLocation) => {
      log.push(`extract into ${dst.root}`);
      if (o.extract) return o.extract(stream);
      for await (const _chunk of stream as Readable);
      return { bytes: 4 };
    },
  };
  const copier = {
    copyConsistent: async (from: Loaded, to: TreeLocation, tag: string) => {
      log.push(`copy ${from.db.id} -> ${to.root} tag=${tag}`);
      return { method: 'frozen-copy', frozenMs: 12, passes: [{ transferredFiles: 3, transferredBytes: 300 }] };
    },
  };
  const driver = o.cloneVolume === undefined || o.cloneVolume === null ? {} : { cloneVolume: o.cloneVolume };
  const seeder = new VolumeSeeder(
    { update: async (id: string, p: object) => void log.push(`volume ${id} ${Object.keys(p).join(',')}`) } as never,
    {
      get: async () => backup,
      update: async (_id: string, p: { error?: string }) => void log.push(`backup error: ${p.error}`),
    } as never,
    { executor: async () => ({}) } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    { get: () => driver } as never,
    sync as never,
    crypto as never,
    copier as never,
    {
      open: async () => ({ exec: {}, root: '/backups', label: 'local' }),
      sha256: async () => (o.storedSha === undefined ? SHA : o.storedSha),
    } as never,
    { existing: async () => (o.key === undefined ? Buffer.alloc(32) : o.key) } as never,
  );
  const progress: string[] = [];
  const op = {
    operationId: 'op-1234-5678',
    attempt: 1,
    progress: async (_p: number, m: string) => void progress.push(m),
  };
  const loadSource = async (id: string) => {
    if (id !== 'db0') throw new Error('gone');
    return source;
  };
  return { seeder, l, op, log, events, progress, loadSource };
}

const clone: DatabaseOrigin = { kind: 'clone', databaseId: 'db0', credentials: 'sealed' } as DatabaseOrigin;
const restore: DatabaseOrigin = { kind: 'backup', backupId: 'b1', credentials: 'sealed' } as DatabaseOrigin;
const permanent = (message: RegExp) => (err: unknown) =>
  err instanceof StepFailed && err.permanent && message.test(err.message);

describe('VolumeSeeder: a clone', () => {
  test('copies the source consistently into the new volume, says how, and marks the volume seeded', async () => {
    const w = world({ origin: clone, engine: 'postgresql' });
    await w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource, 'directory volumes are copied file by file');
    assert.deepEqual(w.log, [
      'copy db0 -> /data/v-new tag=op12345678',
      // A copy of a read-only (full) PostgreSQL would come back a standby: the new one starts writable.
      'rm /data/v-new/pgdata/standby.signal',
      'volume v-new seededAt',
    ]);
    assert.deepEqual(w.events, [
      {
        type: 'database.cloned',
        message:
          'copied from source-db by frozen-copy (3 files/300 B); the source was frozen 12 ms (no storage-side clone: directory volumes are copied file by file)',
        tenantId: 't1',
        databaseId: 'db-new',
        operationId: 'op-1234-5678',
      } as never,
    ]);
  });

  test('a volume already seeded is left alone (a retry after the copy)', async () => {
    const w = world({ origin: clone, seededAt: new Date() });
    await w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource);
    assert.deepEqual(w.log, []);
  });

  test('a source that is gone fails the step', async () => {
    const w = world({ origin: { ...clone, databaseId: 'db-gone' } as DatabaseOrigin });
    await assert.rejects(
      w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource),
      (err: unknown) => err instanceof StepFailed && err.message === 'clone failed: the source database is gone',
    );
  });

  test('storage-side: no driver support leaves it to the file copy, with the reason', async () => {
    const w = world({ origin: clone });
    assert.deepEqual(await w.seeder.seedFromStorage(w.l, w.op as never, w.loadSource), {
      done: false,
      refused: 'directory volumes are copied file by file',
    });
  });

  test('storage-side: a snapshot clone seeds the volume with no data moved; a refusal is passed on', async () => {
    const made = world({ origin: clone, cloneVolume: async () => ({ method: 'lvm-thin-snapshot', frozenMs: 3 }) });
    assert.deepEqual(await made.seeder.seedFromStorage(made.l, made.op as never, made.loadSource), { done: true });
    assert.deepEqual(made.log, ['volume v-new seededAt']);
    assert.match(made.events[0].message, /^copied from source-db by lvm-thin-snapshot in \d+ ms \(no data moved\)/);
    const refused = world({ origin: clone, cloneVolume: async () => ({ refused: 'another backend' }) });
    assert.deepEqual(await refused.seeder.seedFromStorage(refused.l, refused.op as never, refused.loadSource), {
      done: false,
      refused: 'another backend',
    });
    assert.deepEqual(refused.log, []);
  });
});

describe('VolumeSeeder: a restore', () => {
  test('unpacks the archive into an emptied volume, then marks it seeded', async () => {
    const w = world({ origin: restore });
    await w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource);
    assert.deepEqual(w.log, [
      'rm /data/v-new',
      'read /backups/db0/b1.tar.gz',
      'extract into /data/v-new',
      'volume v-new seededAt',
    ]);
  });

  test('an archive of an unknown encryption, or without its key, is refused for good', async () => {
    const unknown = world({ origin: restore, backup: { encryption: 'rot13' } });
    await assert.rejects(
      unknown.seeder.seed(unknown.l, HOST_PATH, unknown.op as never, unknown.loadSource),
      permanent(/unknown archive encryption rot13/),
    );
    const keyless = world({ origin: restore, backup: { encryption: 'aes-test' }, key: null });
    await assert.rejects(
      keyless.seeder.seed(keyless.l, HOST_PATH, keyless.op as never, keyless.loadSource),
      permanent(/the tenant's backup key is gone/),
    );
  });

  test('an altered encrypted archive: what was unpacked goes, the backup says why, and the restore ends', async () => {
    const w = world({
      origin: restore,
      backup: { encryption: 'aes-test' },
      extract: async () => {
        throw new Tampered('wrong tag');
      },
    });
    await assert.rejects(
      w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource),
      permanent(/cannot be trusted: wrong tag/),
    );
    assert.deepEqual(w.log, [
      'rm /data/v-new',
      'read /backups/db0/b1.tar.gz',
      'extract into /data/v-new',
      'rm /data/v-new',
      'backup error: backup b1 cannot be trusted: wrong tag; nothing was restored',
    ]);
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['backup.verification-failed'],
    );
  });

  test('a failure that a full authentication pass does not explain is a plain failure (retried)', async () => {
    const w = world({
      origin: restore,
      backup: { encryption: 'aes-test' },
      extract: async () => {
        throw new Error('tar: write error');
      },
    });
    await assert.rejects(w.seeder.seed(w.l, HOST_PATH, w.op as never, w.loadSource), /tar: write error/);
    assert.deepEqual(w.events, []);
    assert.ok(!w.log.includes('volume v-new seededAt'));
  });

  test('verifyBackup: an archive whose SHA-256 differs, or that is missing, is refused before anything is made', async () => {
    const altered = world({ origin: restore, storedSha: 'b'.repeat(64) });
    await assert.rejects(
      altered.seeder.verifyBackup(altered.l, altered.op as never),
      permanent(/its archive was altered: SHA-256 b{64}, not the a{64} recorded/),
    );
    assert.deepEqual(
      altered.events.map((e) => e.type),
      ['backup.verification-failed'],
    );
    const missing = world({ origin: restore, storedSha: null });
    await assert.rejects(
      missing.seeder.verifyBackup(missing.l, missing.op as never),
      permanent(/its archive is missing from local:\/backups/),
    );
  });

  test('verifyBackup: a matching archive passes; one of before checksums is restored unchecked', async () => {
    const good = world({ origin: restore });
    await good.seeder.verifyBackup(good.l, good.op as never);
    assert.deepEqual(good.events, []);
    const old = world({ origin: restore, backup: { sha256: null } });
    await old.seeder.verifyBackup(old.l, old.op as never);
    assert.deepEqual(old.progress, ['the backup predates checksums: restored unchecked']);
  });
});
