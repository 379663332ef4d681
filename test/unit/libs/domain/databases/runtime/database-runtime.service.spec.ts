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
const host = {
  id: 'h1',
  name: 'host1',
  address: '192.0.2.10',
  connection: 'local',
  dataRoot: '/srv/dbaas',
} as HostEntity;
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

describe('DatabaseRuntime.spec: what its prepare does before a start', () => {
  /** A runtime whose host takes the preparation (no helper: single commands) and logs every change. */
  function prepWorld(row: Partial<DatabaseEntity>) {
    const log: string[] = [];
    const dbRow = {
      ...db,
      id: '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b',
      tenantId: '9b1c2d3e-8b4d-4e6f-9a1b-2c3d4e5f6a7b',
      dbName: 'app',
      username: 'app',
      tlsAppliedAt: null,
      ...row,
    } as DatabaseEntity;
    const exec = {
      hostHelper: { python: '/nonexistent/python3', path: '/nonexistent' },
      run: async (argv: string[]) => {
        if (argv[0] === '/nonexistent/python3') return { exitCode: 127, stdout: '', stderr: 'not found' };
        log.push(argv[0]);
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    };
    const connector = { executor: async () => exec };
    const databases = { update: async (_id: string, patch: object) => void log.push(`db:${Object.keys(patch)}`) };
    const cert = { certPem: 'CERT', keyPem: 'KEY', caPem: 'CA', issued: null, notAfter: new Date() };
    const certificates = { ensure: async () => cert };
    const network = { applyAllowList: async () => void log.push('allow-list') };
    const args: unknown[] = [databases, null, null, null, connector, null, null, null, {}, certificates, network];
    const rt = new (DatabaseRuntime as unknown as new (...a: unknown[]) => DatabaseRuntime)(...args);
    const plan = { id: 'p', cpus: 0.5, memoryMb: 512, diskGb: 1, ioWeight: 100 };
    const l = {
      db: dbRow,
      host,
      plan,
      volume: { id: 'v1' },
      ctx: { ...ctx, privilegeModel: 'owner', tls: 'required' },
    } as unknown as Loaded;
    return { rt, l, log };
  }

  test('the certificate the engine reads at its start is recorded as applied (the renewal round does not push it again)', async () => {
    const w = prepWorld({});
    const spec = await w.rt.spec(w.l, '/srv/v1/data');
    await spec.prepare!();
    assert.ok(w.log.includes('db:tlsAppliedAt'), w.log.join(', '));
    assert.ok(w.log.includes('allow-list'), 'the allow-list before the start');
  });

  test('an allow-list the caller applied already (a container made ahead) is not read again', async () => {
    const w = prepWorld({ tlsAppliedAt: new Date() });
    const spec = await w.rt.spec(w.l, '/srv/v1/data', undefined, { allowListApplied: true });
    await spec.prepare!();
    assert.ok(!w.log.includes('allow-list'), w.log.join(', '));
    assert.ok(!w.log.includes('db:tlsAppliedAt'), 'recorded once');
  });
});
