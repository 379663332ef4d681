import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/persistence/data-source';
import { servicesEnv } from '../support/services';

/**
 * The apps' connection pool against the real PostgreSQL. A database creation runs about seven queries at once
 * (the placement's fleet read beside the lock's own connection); when the pool had closed its idle connections,
 * each of them paid a new backend and a SCRAM handshake first: 0.3-0.5 s on a busy 2-core machine, the largest
 * part of the platform's own time in `npm run bench`.
 */
describe('persistence pool', () => {
  const base = servicesEnv().DATABASE_URL;
  const app = `pool-test-${process.pid}-${Date.now()}`;
  const url = `${base}${base.includes('?') ? '&' : '?'}application_name=${app}`;
  const ds = new DataSource(dataSourceOptions(url, 20));
  const observer = new Client({ connectionString: base });
  const BURST = 8;

  const burst = async (): Promise<Set<number>> => {
    const rows = await Promise.all(
      Array.from({ length: BURST }, () => ds.query('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')),
    );
    return new Set(rows.map((r) => Number(r[0].pid)));
  };
  const backends = async (): Promise<number> =>
    Number(
      (await observer.query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0].n,
    );

  before(async () => {
    await ds.initialize();
    await observer.connect();
  });
  after(async () => {
    await ds.destroy();
    await observer.end();
  });

  test('a burst after a quiet spell longer than the idle timeout reuses the connections of the last one', async () => {
    const first = await burst();
    assert.equal(first.size, BURST, 'the burst ran on as many connections as queries');
    // pg-pool closes a connection idle for idleTimeoutMillis (10 s unless set).
    await new Promise((r) => setTimeout(r, 11_000));
    assert.ok(
      (await backends()) >= BURST,
      `${await backends()} of the ${BURST} connections still open after 11 s idle`,
    );
    const second = await burst();
    const fresh = [...second].filter((pid) => !first.has(pid));
    assert.deepEqual(fresh, [], 'no new backend (connection set-up) for the second burst');
  });
});
