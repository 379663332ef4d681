import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DatabaseEntity, HostEntity } from '@app/persistence/entities';
import { DatabaseRuntime, type Loaded } from '@app/domain/databases/runtime/database-runtime.service';

const db = {
  id: 'db1',
  engine: 'postgresql',
  port: 5432,
  status: 'creating',
  tls: 'preferred',
} as unknown as DatabaseEntity;
const host = { id: 'h1', name: 'host1', address: '192.0.2.10', connection: 'local' } as HostEntity;
const ctx = { username: 'app', password: 'Secr3tPw', dbName: 'app', adminPassword: 'Adm1nPw' };

/** A runtime whose engine becomes ready at `readyAt` (ms after the start) and says so in its log. */
function world(readyAt: number) {
  const t0 = Date.now();
  let logListener: (() => void) | undefined;
  let pings = 0;
  const runtime = {
    inspect: async () => ({ id: 'c1', running: true, status: 'running', labels: {}, restartCount: 0 }),
    followLogs: async (_name: string, onOutput: () => void) => {
      logListener = onOutput;
      return () => (logListener = undefined);
    },
  };
  setTimeout(() => logListener?.(), readyAt);
  const clients = {
    ping: async () => {
      pings++;
      if (Date.now() - t0 < readyAt) throw new Error('connect ECONNREFUSED');
    },
  };
  const connector = { runtime: async () => runtime, endpoint: async () => ({ host: '127.0.0.1', port: 5432 }) };
  const databases = { get: async () => db };
  // Positional: databases, hosts, plans, volumes, connector, storage, clients, secrets, env, certificates, network.
  const args: unknown[] = [databases, null, null, null, connector, null, clients, null, {}, null, null];
  const rt = new (DatabaseRuntime as unknown as new (...a: unknown[]) => DatabaseRuntime)(...args);
  return { rt, t0, pings: () => pings, following: () => logListener !== undefined };
}

describe('DatabaseRuntime.waitReady', () => {
  test('the engine’s log wakes the readiness check: ready is seen at once, not at the next slow poll', async () => {
    // The polls come at 0, 100, 250, 475, 812, 1312 ms…: ready just after one of them.
    const w = world(850);
    await w.rt.waitReady({ db, host, ctx } as unknown as Loaded);
    const seen = Date.now() - w.t0 - 850;
    assert.ok(seen < 250, `ready seen ${seen} ms after the engine said so (the next poll was 460 ms away)`);
    assert.equal(w.following(), false, 'the log is no longer followed');
  });
});
