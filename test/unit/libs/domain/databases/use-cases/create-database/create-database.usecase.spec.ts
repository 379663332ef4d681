import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { CreateDatabaseCommand } from '@app/domain/databases/use-cases/create-database/create-database.command';
import { CreateDatabaseUseCase } from '@app/domain/databases/use-cases/create-database/create-database.usecase';
import type { HostEntity, PlanEntity } from '@app/persistence/entities';
import { cryptography } from '@app/security/cryptography.adapter';

// CreateDatabaseUseCase on fakes of its ports: what is refused before anything exists, where the database is
// placed for each HA mode, and what the new row, its event and its job hold.

const TENANT = '00000000-0000-4000-8000-000000000001';
const PLAN = { id: 'plan1', name: 'small', cpus: 1, memoryMb: 1024, diskGb: 10, storageDriver: null } as PlanEntity;

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({ id, name: id, status: 'active', storageDriver: 'directory', ...extra }) as HostEntity;

interface World {
  vipRange?: string;
  plan?: PlanEntity | null;
  refuseImage?: string;
  enqueueFails?: boolean;
}

function world(w: World = {}) {
  const log: string[] = [];
  const placed: { ha: string; storageDriver?: string; accepts?: (h: HostEntity) => boolean }[] = [];
  const rows: Record<string, unknown>[] = [];
  const events: { type: string; message: string }[] = [];
  const jobs: { name: string; data: { operationId: string; databaseId: string } }[] = [];
  const uc = new CreateDatabaseUseCase(
    {
      findByName: async (name: string) => (w.plan === null ? null : name === 'small' ? (w.plan ?? PLAN) : null),
    } as never,
    {
      createWithOperation: async (row: Record<string, unknown>) => {
        log.push('row');
        rows.push(row);
        return { database: { id: 'db1', status: 'provisioning' }, operation: { id: 'op1' } };
      },
    } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    { seal: (s: string) => `sealed(${s.length})` } as never,
    {
      enqueue: async (j: (typeof jobs)[number]) => {
        if (w.enqueueFails) throw new Error('redis down');
        jobs.push(j);
      },
    } as never,
    { PORT_RANGE: '20000-20099', HA_VIP_RANGE: w.vipRange } as never,
    {
      place: async (req: { ha: string; storageDriver?: string; accept?: (h: HostEntity) => boolean }) => {
        log.push('place');
        placed.push({ ha: req.ha, storageDriver: req.storageDriver, accepts: req.accept });
        return req.ha === 'drbd'
          ? { host: host('p', { storageDriver: 'drbd' }), peer: host('s') }
          : { host: host(req.ha === 'san' ? 'san1' : 'h1'), peer: null };
      },
    } as never,
    {
      withLock: async (key: string, fn: () => Promise<unknown>) => {
        log.push(`lock:${key}`);
        const out = await fn();
        log.push('unlock');
        return out;
      },
    } as never,
    {
      requireImage: async (engine: string, version: string) => {
        if (w.refuseImage === `${engine}:${version}`)
          throw new DatabaseException(DatabaseExceptionCode.ImageUnavailable, 'no image');
        log.push(`image:${engine}:${version}`);
      },
      requirePlan: async () => void log.push('plan-fits'),
    } as never,
    cryptography,
  );
  return { uc, log, placed, rows, events, jobs };
}

const cmd = (extra: Record<string, unknown> = {}) =>
  CreateDatabaseCommand.create({ tenantId: TENANT, name: 'orders', engine: 'postgresql', plan: 'small', ...extra });

const refusedWith = (code: DatabaseExceptionCode) => (e: unknown) => e instanceof DatabaseException && e.code === code;

describe('CreateDatabaseUseCase: refused before anything exists', () => {
  test('a version the engine does not offer', async () => {
    const w = world();
    await assert.rejects(w.uc.execute(cmd({ version: '9' })), refusedWith(DatabaseExceptionCode.VersionUnsupported));
    assert.deepEqual(w.log, []);
  });

  test("a name that would name the engine's or the platform's own account", async () => {
    const w = world();
    for (const name of ['dbaas-admin', 'pg-monitor']) {
      await assert.rejects(w.uc.execute(cmd({ name })), refusedWith(DatabaseExceptionCode.NameReserved));
    }
    assert.deepEqual(w.log, []);
  });

  test('an HA mode without a floating address range configured', async () => {
    const w = world();
    await assert.rejects(w.uc.execute(cmd({ ha: 'drbd' })), refusedWith(DatabaseExceptionCode.HaUnavailable));
    assert.deepEqual(w.log, []);
  });

  test('a plan that does not exist', async () => {
    const w = world();
    await assert.rejects(w.uc.execute(cmd({ plan: 'huge' })), refusedWith(DatabaseExceptionCode.PlanNotFound));
    assert.deepEqual(w.log, []);
  });

  test('an image the registry does not hold: no placement, no row', async () => {
    const w = world({ refuseImage: 'postgresql:15' });
    await assert.rejects(w.uc.execute(cmd()), refusedWith(DatabaseExceptionCode.ImageUnavailable));
    assert.ok(!w.log.includes('place') && !w.log.includes('row'), w.log.join(', '));
  });
});

describe('CreateDatabaseUseCase: placed, recorded, enqueued', () => {
  test('ha none: placed and recorded under the placement lock, then the event and the job', async () => {
    const w = world();
    const { database, operation } = await w.uc.execute(cmd());
    assert.equal(database.id, 'db1');
    assert.equal(operation.id, 'op1');
    assert.deepEqual(w.log, ['image:postgresql:15', 'plan-fits', 'lock:placement', 'place', 'row', 'unlock']);
    const row = w.rows[0];
    assert.equal(row.version, '15', 'the default version');
    assert.equal(row.username, 'orders');
    assert.equal(row.dbName, 'orders');
    assert.equal(row.hostId, 'h1');
    assert.equal(row.driver, 'directory', "the host's storage driver");
    assert.equal(row.privilegeModel, 'owner');
    assert.equal(row.vipPool, null);
    assert.equal(row.peerHostId, null);
    assert.deepEqual(row.allowedCidrs, []);
    assert.deepEqual(row.portRange, { from: 20000, to: 20099 });
    assert.match(String(row.password), /^sealed\(/);
    assert.match(String(row.adminPassword), /^sealed\(/, 'postgresql needs an admin password');
    assert.equal(w.events[0].type, 'database.requested');
    assert.match(w.events[0].message, /postgresql 15 "orders" requested on plan small, placed on host h1/);
    assert.deepEqual(w.jobs, [{ name: 'create-database', data: { operationId: 'op1', databaseId: 'db1' } }]);
  });

  test('a name with dashes gives an identifier with underscores; Redis keeps its fixed user', async () => {
    const w = world();
    await w.uc.execute(cmd({ name: 'my-cache', engine: 'redis' }));
    assert.equal(w.rows[0].username, 'default');
    assert.equal(w.rows[0].dbName, 'my_cache');
  });

  test('ha san: a host with SAN storage and a VIP interface; ha drbd: a primary and its peer, mirrored', async () => {
    const w = world({ vipRange: '10.0.0.10-10.0.0.20/24' });
    await w.uc.execute(cmd({ ha: 'san' }));
    await w.uc.execute(cmd({ ha: 'drbd', name: 'orders-2' }));
    assert.equal(w.placed[0].storageDriver, 'san-lvm');
    assert.equal(w.placed[0].accepts!(host('x', { vipInterface: 'eth1' })), true);
    assert.equal(w.placed[0].accepts!(host('x', { vipInterface: null })), false);
    assert.equal(w.rows[0].driver, 'san-lvm');
    assert.equal(w.rows[0].peerHostId, null);
    const replicated = host('x', { replicationAddress: '10.1.0.1', vipInterface: 'eth1' });
    assert.equal(w.placed[1].accepts!(replicated), true);
    assert.equal(w.placed[1].accepts!(host('x', { vipInterface: 'eth1' })), false, 'no replication address');
    assert.equal(w.rows[1].driver, 'drbd');
    assert.equal(w.rows[1].peerHostId, 's');
    assert.deepEqual(w.rows[1].vipPool, { first: 167772170, last: 167772180, prefixLen: 24 });
  });

  test('a queue that is down: the request still succeeds (the reconciler enqueues the job later)', async () => {
    const w = world({ enqueueFails: true });
    const { operation } = await w.uc.execute(cmd());
    assert.equal(operation.id, 'op1');
    assert.deepEqual(w.jobs, []);
  });
});

describe('CreateDatabaseUseCase.provision: copies (clone, restore)', () => {
  test("a copy keeps its data's users (even a reserved-looking name) and marks its privileges to convert", async () => {
    const w = world();
    await w.uc.provision(cmd({ name: 'pg-copy' }), {
      origin: { kind: 'clone', databaseId: 'src' } as never,
      username: 'legacy_user',
      dbName: 'legacy_db',
      adminPassword: 'sealed-admin',
      operationType: 'clone-database',
      message: 'cloned from "src"',
    });
    const row = w.rows[0];
    assert.equal(row.username, 'legacy_user');
    assert.equal(row.dbName, 'legacy_db');
    assert.equal(row.adminPassword, 'sealed-admin');
    assert.equal(row.privilegeModel, 'legacy');
    assert.equal(row.operationType, 'clone-database');
    assert.match(w.events[0].message, /, cloned from "src"$/);
  });
});
