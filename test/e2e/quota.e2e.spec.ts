import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Stack, until } from '../support/stack';
import { clientUri, tlsOptions, type TlsCredentials } from '../support/tls';

/**
 * Directory volumes hold their plan's size: measured (du, every VOLUME_USAGE_INTERVAL_MS: 2 s in the test stack),
 * warned at 80 % and 90 % (one event per crossing), read-only at 100 % in a way the tenant cannot undo, and
 * writable again once the plan grows. The data root here has no project quota (this kernel has none), so the
 * measured path is the one exercised. To keep the test short, most of the volume is taken by a sparse ballast
 * file beside the engine's data (du counts its apparent size); the tenant's own writes make every crossing.
 */

const MIB = 2 ** 20;
const GIB = 2 ** 30;

async function pg(uri: string): Promise<Client> {
  const c = new Client({ connectionString: uri, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

describe('quotas on directory volumes', () => {
  const stack = new Stack({ name: 'quota' });
  let tenant: { id: string; key: string };

  const view = async (id: string) => (await stack.request('GET', `/v1/databases/${id}`, { key: tenant.key })).body;
  const events = async (id: string, type: string) =>
    stack.metadata<{ type: string; message: string; data: any }>(
      `SELECT type, message, data FROM events WHERE database_id = $1 AND type = $2 ORDER BY created_at`,
      [id, type],
    );
  /** The volume's bytes as measured after now (a fresh round of the sampler, not the one before the last write). */
  async function measured(id: string): Promise<number> {
    const [{ now }] = await stack.metadata<{ now: Date }>('SELECT now()');
    await until(
      'a new measurement',
      async () => {
        const [v] = await stack.metadata<{ at: Date | null }>(
          `SELECT quota_checked_at AS at FROM volumes WHERE database_id = $1 AND deleted_at IS NULL`,
          [id],
        );
        return v?.at && v.at > now;
      },
      20_000,
    );
    return Number((await view(id)).volume.usedBytes);
  }

  async function createDb(name: string, engine: string, plan: string): Promise<string> {
    const res = await stack.request('POST', '/v1/databases', { key: tenant.key, body: { name, engine, plan } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    return res.body.id;
  }

  async function resize(id: string, plan: string): Promise<void> {
    const res = await stack.request('POST', `/v1/databases/${id}/resize`, { key: tenant.key, body: { plan } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId, 180_000);
    assert.equal(op.status, 'succeeded', op.error);
  }

  /** A sparse file of `bytes` in the volume, beside the engine's data (which it never reads). */
  async function ballast(id: string, bytes: number): Promise<void> {
    const [v] = await stack.metadata<{ path: string }>(
      `SELECT path FROM volumes WHERE database_id = $1 AND deleted_at IS NULL`,
      [id],
    );
    const fd = openSync(`${v.path}/ballast`, 'w');
    ftruncateSync(fd, Math.round(bytes));
    closeSync(fd);
  }

  const credsOf = async (id: string): Promise<TlsCredentials> =>
    (await stack.request('GET', `/v1/databases/${id}/credentials`, { key: tenant.key })).body;
  // The URI a client uses: its CA file where it was saved (the database refuses clear text).
  const uriOf = async (id: string) => clientUri(await credsOf(id));

  before(async () => {
    await stack.start();
    tenant = await stack.tenant('quota');
    // The smallest disk a plan has (1 GB) and a bigger one to grow into.
    await stack.metadata(
      `INSERT INTO plans (name, cpus, memory_mb, disk_gb) VALUES ('q-tiny', 1, 384, 1), ('q-big', 1, 384, 4),
              ('q-tiny-cache', 0.5, 512, 1), ('q-big-cache', 0.5, 512, 4)`,
    );
  });
  after(async () => {
    await stack.stop();
  });

  test('PostgreSQL: warned at 80 % and 90 % once each, read-only at 100 % whatever the tenant does, writable after a resize', async () => {
    const id = await createDb('tenantdb', 'postgresql', 'q-tiny');
    const uri = await uriOf(id);
    const limit = GIB;
    let c = await pg(uri);
    await c.query('CREATE TABLE fill (id bigserial PRIMARY KEY, v text)');
    // Rows under the TOAST threshold are stored as they are (not compressed): ~2 KB on disk each, plus their WAL.
    const insertMb = (mb: number) =>
      c.query(`INSERT INTO fill (v) SELECT repeat('x', 1900) FROM generate_series(1, $1::int)`, [
        Math.ceil((mb * MIB) / 2048),
      ]);
    /** Writes until the volume measures at least `fraction` of the limit (never much past it). */
    async function fillTo(fraction: number): Promise<number> {
      for (;;) {
        const used = await measured(id);
        if (used >= fraction * limit) return used;
        // Table and WAL grow together: half the distance, in steps of at most 32 MB of rows.
        await insertMb(Math.max(4, Math.min(32, (fraction * limit - used) / MIB / 2)));
      }
    }

    // Quota is null until the first measurement (a fresh database may be viewed before the sampler's round).
    await measured(id);
    const v0 = await view(id);
    assert.deepEqual(
      { state: v0.quota?.state, limitBytes: v0.quota?.limitBytes },
      { state: 'ok', limitBytes: limit },
      JSON.stringify(v0),
    );

    await ballast(id, 0.75 * limit);
    const at85 = await fillTo(0.83);
    console.log(`# filled to ${(at85 / MIB).toFixed(0)} MiB`);
    await until('the warning', async () => (await view(id)).quota?.state === 'warning', 15_000);
    await measured(id);
    await measured(id); // more rounds above 80 %: still one warning
    assert.equal((await events(id, 'database.quota-warning')).length, 1);
    assert.equal((await events(id, 'database.quota-critical')).length, 0);

    await fillTo(0.92);
    await until('the critical level', async () => (await view(id)).quota?.state === 'critical', 15_000);
    await measured(id);
    await measured(id);
    assert.equal((await events(id, 'database.quota-warning')).length, 1, 'no second warning on the way up');
    assert.equal((await events(id, 'database.quota-critical')).length, 1);

    // Past the plan: the tenant keeps writing; the platform stops it.
    const stopped = await until(
      'the database to refuse writes',
      async () => {
        try {
          await insertMb(16);
          return false;
        } catch (err) {
          // A read-only server refuses the statement; the switch itself ends the session (a restart).
          await c.end().catch(() => undefined);
          c = await until('a connection', () => pg(uri).catch(() => null), 60_000);
          return (err as Error).message;
        }
      },
      180_000,
    );
    console.log(`# refused: ${stopped}`);
    const ro = await until(
      'the read-only state',
      async () => {
        const v = await view(id);
        return v.quota?.state === 'read-only' && v;
      },
      60_000,
    );
    assert.ok(ro.quota.usedBytes >= limit, JSON.stringify(ro.quota));
    assert.match(ro.quota.notice, /read-only/);
    const [roEvent] = await events(id, 'database.quota-read-only');
    assert.ok(roEvent, 'a read-only event');
    assert.equal((await events(id, 'database.quota-read-only')).length, 1);

    // The tenant tries to undo it in every way a non-superuser can: none writes.
    c = await until('a connection', () => pg(uri).catch(() => null), 60_000);
    await c.query('SET default_transaction_read_only = off');
    await assert.rejects(c.query(`INSERT INTO fill (v) VALUES ('x')`), /read-only|recovery/);
    await assert.rejects(c.query('BEGIN READ WRITE'), /read-write mode during recovery/);
    await assert.rejects(c.query('CREATE TEMP TABLE t (x int)'), /read-only/);
    await assert.rejects(c.query(`ALTER DATABASE tenantdb SET default_transaction_read_only = off`), /read-only/);
    await assert.rejects(c.query('CREATE DATABASE escape'), /read-only|recovery/);
    // Reading still works.
    const [{ n }] = (await c.query('SELECT count(*)::int AS n FROM fill')).rows;
    assert.ok(n > 0);
    await c.end();

    // A bigger plan: writable again, with an event, and the notice gone.
    await resize(id, 'q-big');
    await until('the writable state', async () => (await view(id)).quota?.state === 'ok', 60_000);
    assert.equal((await events(id, 'database.quota-ok')).length, 1);
    assert.equal((await view(id)).quota.limitBytes, 4 * GIB);
    c = await until('a connection', () => pg(uri).catch(() => null), 60_000);
    await c.query(`INSERT INTO fill (v) VALUES ('after the resize')`);
    await c.end();

    const metrics = (await stack.request('GET', '/metrics')).body as string;
    assert.match(metrics, new RegExp(`dbaas_volume_quota_ratio\\{[^}]*database_id="${id}"[^}]*\\} 0\\.\\d+`));
    assert.match(metrics, new RegExp(`dbaas_volume_quota_state\\{[^}]*database_id="${id}"[^}]*\\} 0`));
  });

  test('Redis: read-only at 100 % (writes refused for the tenant, reads and deletes allowed), writable after a resize', async () => {
    const id = await createDb('redis-quota', 'redis', 'q-tiny-cache');
    const creds = await credsOf(id);
    await ballast(id, 0.9 * GIB);
    const r = new Redis(creds.uri, { maxRetriesPerRequest: 1, tls: tlsOptions(creds) });
    r.on('error', () => undefined);
    try {
      // Random: Redis compresses its snapshot (the AOF's base), and a repeated byte would take no room there.
      const chunk = randomBytes(MIB / 2).toString('hex');
      let i = 0;
      // The AOF grows with every write: 1 MiB values until a write is refused.
      const refused = await until(
        'Redis to refuse writes',
        async () => {
          try {
            const p = r.pipeline();
            for (let k = 0; k < 8; k++) p.set(`k${i++}`, chunk);
            const res = await p.exec();
            const err = res?.find(([e]) => e)?.[0];
            if (err) return err.message;
            await new Promise((res2) => setTimeout(res2, 250));
            return false;
          } catch (err) {
            return (err as Error).message;
          }
        },
        180_000,
      );
      console.log(`# redis refused: ${refused}`);
      assert.match(refused, /NOPERM|no permissions/i);
      await until('the read-only state', async () => (await view(id)).quota?.state === 'read-only', 30_000);
      assert.equal((await events(id, 'database.quota-read-only')).length, 1);
      // It cannot give itself the permission back, reads still work, and it may delete to make room.
      await assert.rejects(r.call('ACL', 'SETUSER', 'default', '+@all'), /NOPERM|no permissions/i);
      assert.equal((await r.get('k0'))?.length, MIB);
      await assert.rejects(r.set('more', 'x'), /NOPERM|no permissions/i);
      assert.equal(await r.del('k0'), 1);

      await resize(id, 'q-big-cache');
      await until('the writable state', async () => (await view(id)).quota?.state !== 'read-only', 60_000);
      assert.equal(await r.set('more', 'x'), 'OK');
    } finally {
      r.disconnect();
    }
  });
});
