import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { FailoverException, FailoverExceptionCode } from '@app/domain/failover/failover.exception';
import { ActivateHostUseCase } from '@app/domain/failover/use-cases/activate-host/activate-host.usecase';
import { FailoverDatabaseCommand } from '@app/domain/failover/use-cases/failover-database/failover-database.command';
import { FailoverDatabaseUseCase } from '@app/domain/failover/use-cases/failover-database/failover-database.usecase';
import { FenceHostCommand } from '@app/domain/failover/use-cases/fence-host/fence-host.command';
import { FenceHostUseCase } from '@app/domain/failover/use-cases/fence-host/fence-host.usecase';
import { MoveAwayFromHost } from '@app/domain/failover/use-cases/move-away.service';
import type { DatabaseEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';

// The operators' failover actions (failover/use-cases/*), on fakes of the ports and of HostFailureService.

const ID = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const DB = ID(1);
const P = ID(2);
const S = ID(3);

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({ id, name: `host-${id.slice(-1)}`, status: 'active', connection: 'ssh', labels: {}, ...extra }) as HostEntity;

interface World {
  db?: Partial<DatabaseEntity> | null;
  hosts?: HostEntity[];
  volume?: Partial<VolumeEntity>;
  existing?: { acceptDataLoss: boolean };
  /** Databases on the host for drain/evacuate. */
  onHost?: Partial<DatabaseEntity>[];
  moveFails?: string[];
  mirrored?: Partial<VolumeEntity>[];
  /** The host does not answer over SSH when the mirrors rejoin. */
  rejoinFails?: string;
}

function world(w: World = {}) {
  const log: string[] = [];
  const events: { type: string; message: string }[] = [];
  const hosts = new Map((w.hosts ?? [host(P), host(S)]).map((h) => [h.id, h]));
  const db =
    w.db === null
      ? null
      : ({ id: DB, tenantId: 't1', hostId: P, ha: 'drbd', status: 'running', ...w.db } as DatabaseEntity);
  const volume = {
    id: 'v1',
    databaseId: DB,
    hostId: P,
    driver: 'drbd',
    ha: 'drbd',
    mirrorState: 'synced',
    mirrorCheckedAt: new Date(),
    ...w.volume,
  } as VolumeEntity;
  const databases = {
    get: async () => db,
    list: async () => (w.onHost ?? []).map((d) => ({ hostId: P, ha: 'none', ...d })),
  };
  const hostRepo = {
    get: async (id: string) => hosts.get(id) ?? null,
    transition: async (id: string, from: string[], to: string, reason: string | null) => {
      log.push(`host:${from.join('|')}->${to} (${reason})`);
      const h = hosts.get(id);
      if (h && from.includes(h.status)) hosts.set(id, { ...h, status: to } as HostEntity);
      return true;
    },
    list: async () => [...hosts.values()],
  };
  const volumes = {
    forDatabase: async () => volume,
    listMirroredOn: async () => w.mirrored ?? [],
  };
  const failovers = {
    start: async (x: { reason: string; acceptDataLoss: boolean; toHostId: string | null }) => {
      log.push(`start:${x.reason}:${x.toHostId ?? '-'}:${x.acceptDataLoss}`);
      return {
        failover: { id: 'f1', operationId: 'op1', acceptDataLoss: w.existing?.acceptDataLoss ?? x.acceptDataLoss },
        existing: !!w.existing,
      };
    },
    update: async (_id: string, patch: object) => void log.push(`update:${JSON.stringify(patch)}`),
  };
  const eventRepo = { record: async (e: { type: string; message: string }) => void events.push(e) };
  const driver = {
    takeoverCandidates: (_v: VolumeEntity, hs: HostEntity[]) => hs.filter((h) => h.id === S),
    rejoin: async (h: HostEntity, v: VolumeEntity) => {
      if (w.rejoinFails) throw new Error(w.rejoinFails);
      log.push(`rejoin:${v.databaseId}`);
    },
  };
  const storage = { get: () => driver };
  const failure = {
    enqueue: async (f: { id: string }) => void log.push(`enqueue:${f.id}`),
    startFailovers: async (_h: HostEntity, reason: string) => {
      log.push(`failovers:${reason}`);
      return [{ id: 'f-ha', ha: 'drbd' }];
    },
    fenceAndRelease: async (_h: HostEntity, vouched?: { method: string }) => {
      log.push(`fence:${vouched?.method ?? 'agent'}`);
      return vouched ?? { fenced: true, method: 'agent', detail: 'off' };
    },
    removeStaleContainers: async () => ['stale-db'],
  };
  const view = { execute: async (id: string) => ({ id }) };
  const mover = {
    execute: async (cmd: { databaseId: string }) => {
      if (w.moveFails?.includes(cmd.databaseId))
        throw new DatabaseException(DatabaseExceptionCode.NoCapacity, 'no host has room');
      log.push(`move:${cmd.databaseId}`);
      return { id: `op-${cmd.databaseId}` };
    },
  };
  const failover = new FailoverDatabaseUseCase(
    databases as never,
    hostRepo as never,
    volumes as never,
    failovers as never,
    eventRepo as never,
    storage as never,
    failure as never,
    view as never,
  );
  const fence = new FenceHostUseCase(hostRepo as never, eventRepo as never, failure as never);
  const activate = new ActivateHostUseCase(
    hostRepo as never,
    volumes as never,
    eventRepo as never,
    storage as never,
    failure as never,
  );
  const moveAway = new MoveAwayFromHost(
    databases as never,
    hostRepo as never,
    eventRepo as never,
    failure as never,
    mover as never,
  );
  return { failover, fence, activate, moveAway, log, events };
}

const code = (c: FailoverExceptionCode) => (e: unknown) => e instanceof FailoverException && e.code === c;
const failoverCmd = (extra: Record<string, unknown> = {}) =>
  FailoverDatabaseCommand.create({ databaseId: DB, ...extra });

describe('FailoverDatabaseUseCase', () => {
  test('a database without HA, gone, or not in a state to move is refused, nothing started', async () => {
    for (const [db, c] of [
      [{ ha: 'none' }, FailoverExceptionCode.NotHighlyAvailable],
      [null, FailoverExceptionCode.DatabaseNotFound],
      [{ deletedAt: new Date() }, FailoverExceptionCode.DatabaseNotFound],
      [{ status: 'provisioning' }, FailoverExceptionCode.BadState],
    ] as const) {
      const w = world({ db: db as never });
      await assert.rejects(w.failover.execute(failoverCmd(), 'operator:a'), code(c));
      assert.deepEqual(w.log, []);
    }
  });

  test('the primary is up: a switchover, recorded, enqueued and answered with its view', async () => {
    const w = world();
    assert.deepEqual(await w.failover.execute(failoverCmd(), 'operator:a'), { id: 'f1' });
    assert.deepEqual(w.log, ['start:switchover:-:false', 'enqueue:f1']);
    assert.deepEqual(w.events, [
      { type: 'failover.requested', message: 'switchover requested by operator:a', tenantId: 't1', databaseId: DB },
    ]);
  });

  test('a target that is not another active host that can take the volume is refused', async () => {
    const w = world({ hosts: [host(P), host(S), host(ID(4))] });
    await assert.rejects(
      w.failover.execute(failoverCmd({ targetHostId: P }), 'a'),
      code(FailoverExceptionCode.BadTarget),
    );
    await assert.rejects(
      w.failover.execute(failoverCmd({ targetHostId: ID(4) }), 'a'),
      (e: unknown) => code(FailoverExceptionCode.BadTarget)(e) && /cannot take this volume \(drbd\)/.test(String(e)),
    );
    await w.failover.execute(failoverCmd({ targetHostId: S }), 'a');
    assert.deepEqual(w.log, [`start:switchover:${S}:false`, 'enqueue:f1']);
  });

  test('the primary is down and its mirror was not read synced: refused unless the operator accepts the loss', async () => {
    const down = { hosts: [host(P, { status: 'down' }), host(S)], volume: { mirrorState: 'degraded' as const } };
    const w = world(down);
    await assert.rejects(
      w.failover.execute(failoverCmd(), 'operator:a'),
      (e: unknown) => code(FailoverExceptionCode.DataLossRisk)(e) && /acceptDataLoss/.test(String(e)),
    );
    assert.deepEqual(w.log, []);
    const accepted = world(down);
    await accepted.failover.execute(failoverCmd({ acceptDataLoss: true }), 'operator:a');
    assert.deepEqual(accepted.log, ['start:manual:-:true', 'enqueue:f1']);
    assert.match(accepted.events[0].message, /manual requested by operator:a, accepting the loss/);
  });

  test("a failover under way takes on the operator's acceptance of the loss", async () => {
    const w = world({
      hosts: [host(P, { status: 'down' }), host(S)],
      volume: { mirrorState: 'degraded' },
      existing: { acceptDataLoss: false },
    });
    await w.failover.execute(failoverCmd({ acceptDataLoss: true }), 'operator:a');
    assert.deepEqual(w.log, ['start:manual:-:true', 'update:{"acceptDataLoss":true}', 'enqueue:f1']);
    assert.match(w.events[0].message, /accepts the loss of writes the peer may lack for the failover under way/);
  });
});

describe('FenceHostUseCase', () => {
  test('the host name must be repeated; the control plane host is never fenced', async () => {
    const w = world({ hosts: [host(P), host(S, { connection: 'local' })] });
    await assert.rejects(
      w.fence.execute(FenceHostCommand.create({ hostId: P, confirm: 'wrong' }), 'a'),
      code(FailoverExceptionCode.ConfirmationRequired),
    );
    await assert.rejects(
      w.fence.execute(FenceHostCommand.create({ hostId: S, confirm: 'host-3' }), 'a'),
      code(FailoverExceptionCode.NotFenceable),
    );
    await assert.rejects(
      w.fence.execute(FenceHostCommand.create({ hostId: ID(9), confirm: 'x' }), 'a'),
      code(FailoverExceptionCode.HostNotFound),
    );
    assert.deepEqual(w.log, []);
  });

  test('fenced: declared down, failovers started, the host fenced; already fenced: nothing again', async () => {
    const w = world();
    const r = await w.fence.execute(FenceHostCommand.create({ hostId: P, confirm: 'host-2' }), 'operator:a');
    assert.deepEqual(r, {
      host: 'host-2',
      status: 'fenced',
      fencing: { fenced: true, method: 'agent', detail: 'off' },
      failovers: ['f-ha'],
    });
    assert.deepEqual(w.log, [
      'host:active|draining->down (fenced by operator:a)',
      'failovers:host-down',
      'fence:agent',
    ]);
    const again = world({ hosts: [host(P, { status: 'fenced' })] });
    assert.deepEqual(await again.fence.execute(FenceHostCommand.create({ hostId: P, confirm: 'host-2' }), 'a'), {
      host: 'host-2',
      status: 'fenced',
      failovers: [],
    });
    assert.deepEqual(again.log, []);
  });

  test("poweredOff: the operator's word replaces the fencing method", async () => {
    const w = world();
    await w.fence.execute(FenceHostCommand.create({ hostId: P, confirm: 'host-2', poweredOff: true }), 'operator:a');
    assert.ok(w.log.includes('fence:operator'), w.log.join(', '));
  });
});

describe('MoveAwayFromHost (drain, evacuate)', () => {
  test('drain: the host drains, HA databases fail over, the others are moved (a refused move is reported)', async () => {
    const [a, b] = [ID(5), ID(6)];
    const w = world({
      onHost: [
        { id: a, name: 'a' },
        { id: b, name: 'b' },
        { id: ID(7), ha: 'drbd' },
      ],
      moveFails: [b],
    });
    const r = await w.moveAway.run(P, 'operator:a', 'drain');
    assert.deepEqual(r, {
      host: 'host-2',
      status: 'draining',
      failovers: ['f-ha'],
      moves: [{ id: a, name: 'a', operationId: `op-${a}` }],
      notMoved: [{ id: b, name: 'b', reason: 'no host has room' }],
    });
    assert.deepEqual(w.log.slice(0, 3), [
      'host:active|draining->draining (drain by operator:a)',
      'failovers:drain',
      'enqueue:f-ha',
    ]);
  });

  test('a host that is down: drain refuses; evacuate fails HA over once fenced and says why the rest stays', async () => {
    const hosts = [host(P, { status: 'down' })];
    const w = world({ hosts, onHost: [{ id: 'a', name: 'a' }] });
    await assert.rejects(w.moveAway.run(P, 'a', 'drain'), code(FailoverExceptionCode.BadState));
    const r = await w.moveAway.run(P, 'operator:a', 'evacuate');
    assert.equal(r.status, 'down');
    assert.deepEqual(r.moves, []);
    assert.deepEqual(r.notMoved, [
      { id: 'a', name: 'a', reason: 'no HA and the host is down: its data is unreachable' },
    ]);
    // A DRBD failover off a host that is down (not fenced) waits for the fence: not enqueued here.
    assert.ok(!w.log.includes('enqueue:f-ha'), w.log.join(', '));
  });
});

describe('ActivateHostUseCase', () => {
  test('a fenced host: its mirrors rejoin, stale containers go, and it is active again', async () => {
    const w = world({ hosts: [host(P, { status: 'fenced' })], mirrored: [{ databaseId: 'm1', driver: 'drbd' }] });
    assert.deepEqual(await w.activate.execute(P, 'operator:a'), {
      host: 'host-2',
      status: 'active',
      removedContainers: ['stale-db'],
      rejoinedMirrors: ['m1'],
    });
    assert.deepEqual(w.log, ['rejoin:m1', 'host:fenced|down|draining->active (null)']);
    assert.equal(w.events[0].type, 'host.activated');
  });

  test('a host that does not answer yet (just booted): 503 with the cause, and it stays fenced', async () => {
    const w = world({
      hosts: [host(P, { status: 'fenced' })],
      mirrored: [{ databaseId: 'm1', driver: 'drbd' }],
      rejoinFails: 'Timed out while waiting for handshake',
    });
    await assert.rejects(w.activate.execute(P, 'operator:a'), (e: unknown) => {
      assert.ok(e instanceof FailoverException && e.code === FailoverExceptionCode.HostUnavailable, String(e));
      assert.match(e.message, /host-2 .*Timed out while waiting for handshake.*still fenced.*try again/);
      return true;
    });
    assert.deepEqual(w.log, [], 'not let back in');
    assert.equal(w.events.length, 0);
  });

  test('a draining host is only let back in: nothing to clean', async () => {
    const w = world({ hosts: [host(P, { status: 'draining' })] });
    const r = await w.activate.execute(P, 'operator:a');
    assert.deepEqual([r.removedContainers, r.rejoinedMirrors], [[], []]);
  });
});
