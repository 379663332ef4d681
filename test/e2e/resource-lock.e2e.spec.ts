import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DataSource } from 'typeorm';
import { PgAdvisoryLock } from '@app/persistence/repositories/resource-lock';
import { servicesEnv } from '../support/services';

/**
 * The resource lock against the real PostgreSQL: mutual exclusion within a process and across processes (two
 * pools stand for two replicas), and many waiters on a small pool do not starve the holder of connections.
 */
describe('resource lock on PostgreSQL advisory locks', () => {
  const url = servicesEnv().DATABASE_URL;
  // Small pools on purpose: the holder's own queries need connections while others wait for the lock.
  const pools = [
    new DataSource({ type: 'postgres', url, extra: { max: 3 } }),
    new DataSource({ type: 'postgres', url, extra: { max: 3 } }),
  ];
  const locks = pools.map((ds) => new PgAdvisoryLock(ds));
  const key = `lock-test-${process.pid}-${Date.now()}`;

  before(async () => {
    for (const ds of pools) await ds.initialize();
  });
  after(async () => {
    for (const ds of pools) await ds.destroy();
  });

  test('twenty callers on two replicas: one at a time, each running two queries of its own while it holds the lock', async () => {
    let inside = 0;
    let most = 0;
    let done = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        locks[i % 2].withLock(
          key,
          async () => {
            inside++;
            most = Math.max(most, inside);
            await Promise.all([pools[i % 2].query('SELECT pg_sleep(0.01)'), pools[i % 2].query('SELECT 1')]);
            inside--;
            done++;
          },
          15_000,
        ),
      ),
    );
    assert.equal(done, 20);
    assert.equal(most, 1, 'never two holders at once');
    assert.ok(Date.now() - started < 15_000);
  });

  test('a caller that gives up waiting fails with a clear error, and does not let the next one past the holder', async () => {
    let release!: () => void;
    const holding = new Promise<void>((r) => (release = r));
    let holderInside = false;
    const holder = locks[0].withLock(key, async () => {
      holderInside = true;
      await holding;
      holderInside = false;
    });
    while (!holderInside) await new Promise((r) => setTimeout(r, 10));
    const impatient = locks[0].withLock(key, async () => 'ran', 300);
    let nextRanWhileHeld = false;
    const next = locks[0].withLock(key, async () => {
      nextRanWhileHeld = holderInside;
    });
    await assert.rejects(impatient, /timed out waiting for the lock on/);
    await new Promise((r) => setTimeout(r, 300));
    release();
    await Promise.all([holder, next]);
    assert.equal(nextRanWhileHeld, false);
  });
});
