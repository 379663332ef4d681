import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import type { CredentialsView } from '../../libs/domain/src/databases/use-cases/get-credentials/get-credentials.usecase';
import { Stack } from '../support/stack';
import { tlsOptions } from '../support/tls';

type Credentials = CredentialsView;

/** What the test does with an engine's data, through the engine's real client. */
interface Harness {
  engine: 'mariadb' | 'redis';
  /** A structure for the rows (or nothing): run once on the source. */
  init(c: Credentials): Promise<void>;
  /** Writes items `ids` (rows, keys) and returns once they are as durable as the engine's configuration makes them. */
  write(c: Credentials, ids: number[]): Promise<void>;
  /** The ids of the items present, sorted; every item's value is checked on the way. */
  read(c: Credentials): Promise<number[]>;
  /** Rejects when `password` does not open the database at `c`. */
  login(c: Credentials, password: string): Promise<void>;
  /** What a refused login says. */
  refused: RegExp;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const value = (id: number) => `value-${id}-${'x'.repeat(50)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mariadb: Harness = {
  engine: 'mariadb',
  refused: /Access denied/,
  async init(c) {
    await withMysql(c, c.password, (my) => my.query('CREATE TABLE t (id int primary key, v varchar(100) NOT NULL)'));
  },
  async write(c, ids) {
    // Autocommit InnoDB with innodb_flush_log_at_trx_commit=1 (MariaDB's default): the redo log is flushed
    // at each commit, so the rows are durable once the INSERT returns.
    await withMysql(c, c.password, (my) =>
      my.query('INSERT INTO t (id, v) VALUES ?', [ids.map((id) => [id, value(id)])]),
    );
  },
  async read(c) {
    const rows = (await withMysql(
      c,
      c.password,
      async (my) => (await my.query('SELECT id, v FROM t ORDER BY id'))[0],
    )) as {
      id: number;
      v: string;
    }[];
    for (const r of rows) assert.equal(r.v, value(r.id), `row ${r.id}`);
    return rows.map((r) => Number(r.id));
  },
  async login(c, password) {
    await withMysql(c, password, (my) => my.query('SELECT 1'));
  },
};

async function withMysql<T>(
  c: Credentials,
  password: string,
  fn: (my: Awaited<ReturnType<typeof createConnection>>) => Promise<T>,
): Promise<T> {
  const my = await createConnection({
    host: c.host,
    port: c.port,
    user: c.username,
    password,
    database: c.database,
    connectTimeout: 10_000,
    ssl: tlsOptions(c),
  });
  try {
    return await fn(my);
  } finally {
    await my.end().catch(() => undefined);
  }
}

const redis: Harness = {
  engine: 'redis',
  refused: /WRONGPASS/,
  async init(c) {
    await withRedis(c, async (r) => {
      // The platform starts Redis with `--appendonly yes` and the image has no redis.conf: AOF, fsync every second
      // (the default). CONFIG is not the tenant's (least privilege): INFO says whether the AOF is on.
      assert.match(await r.info('persistence'), /^aof_enabled:1\r?$/m);
      await assert.rejects(r.config('GET', 'appendfsync'), /NOPERM/);
    });
  },
  async write(c, ids) {
    await withRedis(c, async (r) => {
      const p = r.pipeline();
      for (const id of ids) p.set(`k:${id}`, value(id));
      for (const [err] of (await p.exec()) ?? []) assert.ifError(err);
      // appendfsync everysec: a reply means the write is in the AOF buffer (written to the file at the latest
      // 2 s later if an fsync is slow), fsync'd within about a second. The copy is what a power cut would leave:
      // wait past the next fsync, then until the AOF buffer is empty and no fsync is pending.
      await sleep(1100);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const info = await r.info('persistence');
        const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
        if (field('aof_buffer_length') === 0 && field('aof_pending_bio_fsync') === 0) break;
        if (Date.now() > deadline) assert.fail(`the AOF did not settle: ${info}`);
        await sleep(100);
      }
    });
  },
  async read(c) {
    return withRedis(c, async (r) => {
      const keys = await r.keys('*');
      const ids = keys.map((k) => Number(/^k:(\d+)$/.exec(k)?.[1] ?? NaN)).sort((a, b) => a - b);
      assert.ok(ids.every(Number.isInteger), `unexpected keys: ${keys.filter((k) => !/^k:\d+$/.test(k))}`);
      if (ids.length) {
        const values = await r.mget(ids.map((id) => `k:${id}`));
        ids.forEach((id, i) => assert.equal(values[i], value(id), `key k:${id}`));
      }
      return ids;
    });
  },
  async login(c, password) {
    // No password given to the client: AUTH is sent by hand so that its refusal is the rejection seen here.
    const r = new Redis({
      host: c.host,
      port: c.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      tls: tlsOptions(c),
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.auth(password);
      await r.ping();
    } finally {
      r.disconnect();
    }
  },
};

async function withRedis<T>(c: Credentials, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({
    host: c.host,
    port: c.port,
    password: c.password,
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    tls: tlsOptions(c),
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

describe('clones, backups and restores of MariaDB and Redis on directory volumes, end to end', () => {
  const backupRoot = mkdtempSync(join(tmpdir(), 'dbaas-backups-'));
  const stack = new Stack({
    name: 'engine-copies',
    env: {
      BACKUP_TARGET: `local:${backupRoot}`,
      // No scheduled backup during the test.
      BACKUP_EVERY_MS: '3600000',
    },
  });
  let key = '';
  const timings: string[] = [];

  before(async () => {
    await stack.start();
    key = (await stack.tenant('copies')).key;
  });
  after(async () => {
    for (const t of timings) console.log(`# ${t}`);
    await stack.stop();
    rmSync(backupRoot, { recursive: true, force: true });
  });

  const credentials = async (id: string): Promise<Credentials> => {
    const res = await stack.request('GET', `/v1/databases/${id}/credentials`, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const succeeded = async (res: { status: number; body: any }, type: string) => {
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
    assert.equal(op.type, type);
    return op;
  };

  for (const h of [mariadb, redis]) {
    describe(h.engine, () => {
      let srcId = '';
      let src: Credentials;
      let cloneId = '';
      let backupId = '';

      test(`${h.engine}: a running source with 200 items written by its own client`, async () => {
        const res = await stack.request('POST', '/v1/databases', {
          key,
          body: { name: `${h.engine}-src`, engine: h.engine, plan: 'small' },
        });
        await succeeded(res, 'create-database');
        srcId = res.body.id;
        src = await credentials(srcId);
        await h.init(src);
        await h.write(src, range(1, 200));
        assert.deepEqual(await h.read(src), range(1, 200));
      });

      test(`${h.engine}: clone has exactly the data and its own password; the source kept running`, async () => {
        assert.ok(srcId, 'the source was created');
        const container = (await stack.containersOf(srcId))[0];
        const startedBefore = (await stack.docker.getContainer(container.Id).inspect()).State.StartedAt;
        const t0 = Date.now();
        const res = await stack.request('POST', `/v1/databases/${srcId}/clones`, {
          key,
          body: { name: `${h.engine}-copy` },
        });
        assert.equal(res.body.status, 'provisioning', JSON.stringify(res.body));
        const op = await succeeded(res, 'clone-database');
        const wall = Date.now() - t0;
        cloneId = res.body.id;
        assert.ok(op.transfer, 'the operation reports its transfer');
        assert.equal(op.transfer.filesDone, op.transfer.filesTotal);
        assert.equal(op.transfer.bytesDone, op.transfer.bytesTotal);

        const copy = await credentials(cloneId);
        assert.notEqual(copy.port, src.port);
        assert.notEqual(copy.password, src.password, 'the clone has a password of its own');
        assert.equal(copy.username, src.username, 'the users inside the data are the source’s');
        assert.equal(copy.database, src.database);
        assert.deepEqual(await h.read(copy), range(1, 200));
        // The source's password does not open the clone (MariaDB: the platform re-set it in the copied data;
        // Redis: the password is the new container's --requirepass), and the clone's does not open the source.
        await h.login(copy, copy.password);
        await assert.rejects(h.login(copy, src.password), h.refused);
        await assert.rejects(h.login(src, copy.password), h.refused);

        const state = (await stack.docker.getContainer(container.Id).inspect()).State;
        assert.equal(state.Running, true);
        assert.equal(state.Paused, false, 'the source is unfrozen');
        assert.equal(state.StartedAt, startedBefore, 'the source was never restarted');

        const events = await stack.metadata(
          `SELECT message FROM events WHERE database_id = $1 AND type = 'database.cloned'`,
          [cloneId],
        );
        assert.equal(events.length, 1, JSON.stringify(events));
        // "copied from <source> by frozen-copy (<live pass>, then <frozen pass>); the source was frozen N ms"
        const m = /by frozen-copy \((.*)\); the source was frozen (\d+) ms/.exec(events[0].message);
        assert.ok(m, events[0].message);
        const frozenMs = Number(m[2]);
        assert.ok(frozenMs >= 0 && frozenMs < 60_000, events[0].message);
        const server = Date.parse(op.finishedAt) - Date.parse(op.createdAt);
        timings.push(
          `${h.engine}: clone ${(server / 1000).toFixed(1)} s (operation created → finished; ${(wall / 1000).toFixed(1)} s seen by the client), source frozen ${frozenMs} ms; moved ${m[1]}`,
        );
      });

      test(`${h.engine}: writes to the clone never reach the source, nor the other way`, async () => {
        assert.ok(cloneId, 'the clone was made');
        const copy = await credentials(cloneId);
        await h.write(copy, [1001]);
        await h.write(src, [2001]);
        assert.deepEqual(await h.read(copy), [...range(1, 200), 1001]);
        assert.deepEqual(await h.read(src), [...range(1, 200), 2001]);
      });

      test(`${h.engine}: a restored backup has the backup's data, not the later writes`, async () => {
        assert.ok(srcId, 'the source was created');
        const res = await stack.request('POST', `/v1/databases/${srcId}/backups`, { key });
        await succeeded(res, 'backup-database');
        backupId = res.body.id;
        const b = (await stack.request('GET', `/v1/backups/${backupId}`, { key })).body;
        assert.equal(b.status, 'completed', JSON.stringify(b));
        assert.equal(b.method, 'frozen-copy');
        assert.equal(b.engine, h.engine);

        await h.write(src, range(3001, 3050));
        const restore = await stack.request('POST', `/v1/backups/${backupId}/restore`, {
          key,
          body: { name: `${h.engine}-restored` },
        });
        await succeeded(restore, 'restore-backup');
        const restored = await credentials(restore.body.id);
        assert.deepEqual(await h.read(restored), [...range(1, 200), 2001]);
        assert.notEqual(restored.password, src.password);
        await assert.rejects(h.login(restored, src.password), h.refused);
        assert.deepEqual(await h.read(src), [...range(1, 200), 2001, ...range(3001, 3050)], 'the source is untouched');
      });
    });
  }
});
