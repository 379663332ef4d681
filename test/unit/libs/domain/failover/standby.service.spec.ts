import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StandbyService } from '@app/domain/failover/standby.service';
import type { DatabaseEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';

// Where a takeover would go is made ready ahead: only when there is exactly one such host, only for a running HA
// database, and never by starting anything. Fakes of the ports; `log` is every call that changes something.

const host = (id: string, status: HostEntity['status'] = 'active') => ({ id, name: id, status }) as HostEntity;

interface World {
  db?: Partial<DatabaseEntity>;
  volume?: Partial<VolumeEntity>;
  hosts?: HostEntity[];
  candidates?: (v: VolumeEntity, healthy: HostEntity[]) => HostEntity[];
  containers?: Record<string, { running: boolean }>;
  loadFails?: boolean;
  createAhead?: boolean;
  /** The database's lock is held by an operation (a create making its own standby, a takeover). */
  busy?: boolean;
}

function world(w: World = {}) {
  const log: string[] = [];
  const db = { id: 'db1', status: 'running', ha: 'drbd', hostId: 'a', ...w.db } as DatabaseEntity;
  const volume = { id: 'v1', driver: 'drbd', hostId: 'a', peerHostId: 'b', ...w.volume } as VolumeEntity;
  const hosts = w.hosts ?? [host('a'), host('b')];
  const driver = {
    takeoverCandidates:
      w.candidates ?? ((v: VolumeEntity, healthy: HostEntity[]) => healthy.filter((h) => h.id === v.peerHostId)),
    takeoverPaths: (h: HostEntity, v: VolumeEntity) => ({
      mount: `/m/${h.id}/${v.id}`,
      hostPath: `/m/${h.id}/${v.id}/data`,
    }),
  };
  const svc = new StandbyService(
    { get: async () => db, list: async () => [db] } as never,
    { list: async () => hosts, get: async (id: string) => hosts.find((h) => h.id === id) ?? null } as never,
    {
      runtime: async (h: HostEntity) => ({
        inspect: async (name: string) => w.containers?.[`${h.id}/${name}`] ?? null,
        remove: async (name: string) => void log.push(`remove ${name} on ${h.id}`),
      }),
    } as never,
    { get: () => driver } as never,
    {
      loadLive: async () => {
        if (w.loadFails) throw new Error('the database is being deleted');
        return { db, volume, host: host('a') };
      },
      readyAhead: async (l: { host: HostEntity }) => void log.push(`ready on ${l.host.id}`),
      createAhead: async (l: { host: HostEntity }, at: { hostPath: string }, purpose: string) => {
        log.push(`create on ${l.host.id} at ${at.hostPath} (${purpose})`);
        return w.createAhead ?? true;
      },
      cleanUpHost: async (h: HostEntity) => void log.push(`clean up ${h.id}`),
    } as never,
    {
      withLock: async (key: string, fn: () => Promise<unknown>) => {
        if (w.busy) throw new Error(`timed out waiting for the lock on ${key}`);
        log.push(`lock ${key}`);
        return fn();
      },
    } as never,
  );
  return { svc, log, db, volume };
}

describe('StandbyService.prepare', () => {
  test("a running DRBD database: its peer gets the network, image and certificate, then the container, bound under the peer's mount point", async () => {
    const { svc, log } = world();
    assert.equal(await svc.prepare('db1'), 'ready');
    assert.deepEqual(log, ['ready on b', 'create on b at /m/b/v1/data (standby)']);
  });

  test('nothing where the takeover host is not known: no HA, not running, peer down, several SAN candidates', async () => {
    for (const w of [
      { db: { ha: 'none' as const } },
      { db: { status: 'provisioning' as const } },
      { hosts: [host('a'), host('b', 'down')] },
      {
        volume: { driver: 'san-lvm' },
        hosts: [host('a'), host('b'), host('c')],
        candidates: (_v: VolumeEntity, h: HostEntity[]) => h,
      },
    ]) {
      const { svc, log } = world(w);
      assert.equal(await svc.prepare('db1'), 'not-known', JSON.stringify(w));
      assert.deepEqual(log, [], JSON.stringify(w));
    }
  });

  test('a SAN backend with one other host: that host is the standby', async () => {
    const { svc, log } = world({
      db: { ha: 'san' as never },
      volume: { driver: 'san-lvm', peerHostId: null },
      candidates: (_v, h) => h,
    });
    assert.equal(await svc.prepare('db1'), 'ready');
    assert.deepEqual(log, ['ready on b', 'create on b at /m/b/v1/data (standby)']);
  });

  test('never throws: a failure is an outcome (a takeover makes what is missing)', async () => {
    assert.equal(await world({ loadFails: true }).svc.prepare('db1'), 'not-made');
    assert.equal(await world({ createAhead: false }).svc.prepare('db1'), 'not-made');
  });
});

describe('StandbyService.remove', () => {
  test("a deleted database's standby goes from its peer with its files; a running container there is left alone", async () => {
    const stopped = world({ containers: { 'b/dbaas-db1': { running: false } } });
    await stopped.svc.remove(stopped.db, stopped.volume);
    assert.deepEqual(stopped.log, ['remove dbaas-db1 on b', 'clean up b']);

    // No container (gone, or never made) but perhaps its network holder: the runtime is asked to remove both.
    const holderOnly = world({});
    await holderOnly.svc.remove(holderOnly.db, holderOnly.volume);
    assert.deepEqual(holderOnly.log, ['remove dbaas-db1 on b', 'clean up b']);

    const running = world({ containers: { 'b/dbaas-db1': { running: true } } });
    await running.svc.remove(running.db, running.volume);
    assert.deepEqual(running.log, []);
  });

  test('nothing for a database without HA, and never on its own host', async () => {
    const none = world({ db: { ha: 'none' } });
    await none.svc.remove(none.db, none.volume);
    assert.deepEqual(none.log, []);
    const own = world({ volume: { peerHostId: 'a' }, hosts: [host('a')] });
    await own.svc.remove(own.db, own.volume);
    assert.deepEqual(own.log, []);
  });
});

describe('StandbyService.placement', () => {
  test('changes when a host is let back in or a database moves; not with the order of the rows or a host draining', async () => {
    const { svc: fenced } = world({ hosts: [host('a'), host('b', 'fenced')] });
    const { svc: back } = world({ hosts: [host('a'), host('b')] });
    const { svc: reordered } = world({ hosts: [host('b'), host('a')] });
    const { svc: moved } = world({ db: { hostId: 'b' } });
    const { svc: draining } = world({ hosts: [host('a'), host('b', 'draining')] });
    const { svc: noHa } = world({ db: { ha: 'none' } });
    const { svc: noHaMoved } = world({ db: { ha: 'none', hostId: 'b' } });
    assert.notEqual(await fenced.placement(), await back.placement());
    assert.equal(await back.placement(), await reordered.placement());
    assert.notEqual(await back.placement(), await moved.placement());
    // Neither a fenced nor a draining host takes a standby.
    assert.equal(await fenced.placement(), await draining.placement());
    // A database without HA has no standby wherever it runs.
    assert.equal(await noHa.placement(), await noHaMoved.placement());
  });
});

describe('StandbyService.prepareAll', () => {
  test("takes each database's lock: one an operation holds (a create making its own standby) is busy, nothing made", async () => {
    const { svc: free, log } = world();
    assert.deepEqual(await free.prepareAll(), { ready: 1, 'not-known': 0, 'not-made': 0, busy: 0 });
    assert.deepEqual(log, ['lock database:db1', 'ready on b', 'create on b at /m/b/v1/data (standby)']);
    const { svc: held, log: none } = world({ busy: true });
    assert.deepEqual(await held.prepareAll(), { ready: 0, 'not-known': 0, 'not-made': 0, busy: 1 });
    assert.deepEqual(none, []);
  });

  test("prepare (called inside the create's own operation, which holds the lock) does not take it again", async () => {
    const { svc, log } = world({ busy: true });
    assert.equal(await svc.prepare('db1'), 'ready');
    assert.deepEqual(log, ['ready on b', 'create on b at /m/b/v1/data (standby)']);
  });
});
