import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OperationCancelled, StepFailed } from '@app/domain/operations/operation-context';
import { TakeoverService } from '@app/domain/failover/takeover.service';
import { RoundTrips } from '@app/domain/ports/round-trips';
import type { DatabaseEntity, FailoverEntity, HostEntity, PlanEntity, VolumeEntity } from '@app/persistence/entities';

// The takeover's paths besides the DRBD safety checks (takeover.service.safety.spec.ts): the record's state,
// the old primary's fence, the choice of target, the steps that bring the database up there, and the failure.

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({
    id,
    name: id,
    status: 'active',
    connection: 'ssh',
    labels: {},
    capacity: { cpus: 8, memoryMb: 16384, diskGb: 500 },
    ...extra,
  }) as HostEntity;

interface World {
  failover?: Partial<FailoverEntity> | null;
  db?: Partial<DatabaseEntity> | null;
  volume?: Partial<VolumeEntity> | null;
  hosts?: HostEntity[];
  takeoverCandidates?: (v: VolumeEntity, healthy: HostEntity[]) => HostEntity[];
}

/** A TakeoverService on fakes of its ports; `log` is every call that changes something, in order. */
function world(w: World = {}) {
  const log: string[] = [];
  const hosts = new Map((w.hosts ?? [host('p', { status: 'down' }), host('s')]).map((h) => [h.id, h]));
  const failover =
    w.failover === null
      ? null
      : ({
          id: 'f1',
          databaseId: 'db1',
          status: 'running',
          reason: 'host-down',
          fromHostId: 'p',
          toHostId: null,
          actor: 'failover-worker',
          fencedAt: null,
          acceptDataLoss: false,
          ...w.failover,
        } as FailoverEntity);
  const db =
    w.db === null
      ? null
      : ({
          id: 'db1',
          tenantId: 't1',
          hostId: 'p',
          planId: 'plan1',
          status: 'failing-over',
          vip: null,
          ...w.db,
        } as DatabaseEntity);
  const volume =
    w.volume === null
      ? null
      : ({ id: 'v1', databaseId: 'db1', hostId: 'p', driver: 'san-lvm', ha: 'san', ...w.volume } as VolumeEntity);
  const events: { type: string; message: string }[] = [];
  const roundTrips: number[] = [];
  const driver = {
    takeover: async (target: HostEntity) => {
      log.push(`takeover:${target.id}`);
      return { hostPath: '/data/db1' };
    },
    release: async (h: HostEntity) => void log.push(`release:${h.id}`),
    takeoverCandidates: w.takeoverCandidates ?? ((_v: VolumeEntity, healthy: HostEntity[]) => healthy),
    takeoverPaths: (target: HostEntity) => ({ mount: `/mnt/${target.id}/v1`, hostPath: `/mnt/${target.id}/v1/data` }),
  };
  const runtime = {
    ensureRunning: async () => {
      // As an executor does for each request to a host.
      RoundTrips.note();
      log.push('container');
    },
    remove: async (name: string) => void log.push(`remove:${name}`),
  };
  const svc = new TakeoverService(
    {
      get: async () => db,
      update: async (_id: string, patch: object) => void log.push(`db:${JSON.stringify(patch)}`),
    } as never,
    {
      get: async (id: string) => hosts.get(id) ?? null,
      list: async () => [...hosts.values()],
      usage: async () => [],
    } as never,
    { get: async () => ({ id: 'plan1', cpus: 1, memoryMb: 1024, diskGb: 10 }) as PlanEntity } as never,
    { forDatabase: async () => volume } as never,
    {
      forOperation: async () => failover,
      mark: async (_id: string, field: string) => void log.push(`mark:${field}`),
      update: async (_id: string, patch: object) => void log.push(`failover:${JSON.stringify(patch)}`),
      addRoundTrips: async (_id: string, n: number) => {
        roundTrips.push(n);
        log.push(`roundTrips:${n}`);
      },
    } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    { runtime: async () => runtime, vips: async () => ({ remove: async () => undefined }) } as never,
    { get: () => driver } as never,
    { withLock: (_key: string, fn: () => Promise<unknown>) => fn() } as never,
    {
      step: (_name: string, fn: () => Promise<unknown>) => fn(),
      loadLive: async () => ({ db }),
      ensureVip: async (_db: unknown, h: HostEntity) => void log.push(`vip:${h.id}`),
      spec: async () => ({ image: 'img' }),
      readyAhead: async () => void log.push('image'),
      createAhead: async (l: { host: HostEntity }, at: { hostPath: string }) => {
        log.push(`created ahead:${l.host.id}:${at.hostPath}`);
        return true;
      },
      waitReady: async () => void log.push('ready'),
      applyLimits: async () => undefined,
      removeAllowList: async (h: HostEntity) => void log.push(`unfilter:${h.id}`),
      vipPrefix: () => 32,
    } as never,
  );
  const progress: number[] = [];
  const op = { operationId: 'op1', attempt: 1, progress: async (p: number) => void progress.push(p) };
  return { svc, log, events, progress, roundTrips, driver, run: () => svc.run('db1', op as never) };
}

describe('TakeoverService.run', () => {
  test('no failover record: a step failure; a record that is no longer running: nothing is done', async () => {
    const missing = world({ failover: null });
    await assert.rejects(missing.run(), (e: unknown) => e instanceof StepFailed && e.step === 'failover');
    const done = world({ failover: { status: 'succeeded' } });
    await done.run();
    assert.deepEqual(done.log, []);
  });

  test('a database deleted meanwhile: the failover ends failed and the operation is cancelled', async () => {
    const w = world({ db: { status: 'deleting' } });
    await assert.rejects(w.run(), OperationCancelled);
    assert.deepEqual(w.log, ['failover:{"status":"failed","error":"the database was deleted"}']);
  });

  test('a DRBD primary that is down but not fenced yet: its peer is not promoted', async () => {
    const w = world({ volume: { driver: 'drbd', ha: 'drbd', peerHostId: 's' } });
    await assert.rejects(w.run(), (e: unknown) => e instanceof StepFailed && e.step === 'fencing');
    assert.ok(!w.log.some((l) => l.startsWith('takeover')), w.log.join(', '));
  });

  test('a SAN database off a dead host: taken over elsewhere (another failure domain first), then brought up', async () => {
    const w = world({
      hosts: [
        host('p', { status: 'down', labels: { rack: 'r1' } }),
        host('same-rack', { labels: { rack: 'r1' } }),
        host('other-rack', { labels: { rack: 'r2' } }),
      ],
    });
    await w.run();
    assert.deepEqual(w.log, [
      'mark:fencedAt',
      'failover:{"toHostId":"other-rack"}',
      'takeover:other-rack',
      'vip:other-rack',
      'image',
      'mark:storageMovedAt',
      'created ahead:other-rack:/mnt/other-rack/v1/data',
      'db:{"hostId":"other-rack"}',
      'container',
      'mark:startedAt',
      'ready',
      'mark:reachableAt',
      'db:{"status":"running"}',
      'roundTrips:1',
      'failover:{"status":"succeeded","error":null}',
    ]);
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['database.failed-over'],
    );
    assert.match(w.events[0].message, /host-down: primary moved from p to other-rack/);
    assert.equal(w.progress.at(-1), 100);
  });

  test('the target the operator chose is kept; already fenced: the fence is not marked again', async () => {
    const w = world({ failover: { toHostId: 's', fencedAt: new Date() } });
    await w.run();
    assert.equal(w.log[0], 'takeover:s');
    assert.ok(!w.log.includes('mark:fencedAt'));
  });

  test('no healthy host can take the volume: a placement failure, nothing taken over', async () => {
    const w = world({ takeoverCandidates: () => [] });
    await assert.rejects(w.run(), (e: unknown) => e instanceof StepFailed && e.step === 'placement');
    assert.ok(!w.log.some((l) => l.startsWith('takeover')));
  });

  test('a switchover from a live host: the old container, filter and storage released before the takeover', async () => {
    const w = world({
      failover: { reason: 'switchover', toHostId: 's' },
      hosts: [host('p'), host('s')],
    });
    await w.run();
    // The target's standby (its network holder, the container) is made before anything stops: out of the downtime.
    const made = w.log.findIndex((l) => l.startsWith('created ahead:s'));
    assert.ok(made >= 0 && made < w.log.indexOf('remove:dbaas-db1'), w.log.join(' | '));
    assert.deepEqual(w.log.filter((l) => !['image', 'created ahead:s:/mnt/s/v1/data'].includes(l)).slice(0, 5), [
      'remove:dbaas-db1',
      'unfilter:p',
      'release:p',
      'mark:fencedAt',
      'takeover:s',
    ]);
  });

  test('a power cut: nothing is made on the target before the old primary is known to be off', async () => {
    const w = world({ hosts: [host('p', { status: 'fenced' }), host('s')] });
    await w.run();
    assert.ok(w.log.indexOf('mark:fencedAt') < w.log.findIndex((l) => l.startsWith('created ahead')));
  });
});

describe('TakeoverService.markFailed', () => {
  test('the record says why, the database waits for an operator in error, and an event tells it', async () => {
    const w = world();
    await w.svc.markFailed('op1', 'db1', 'no healthy host');
    assert.deepEqual(w.log, ['failover:{"status":"failed","error":"no healthy host"}', 'db:{"status":"error"}']);
    assert.deepEqual(w.events, [
      { type: 'failover.failed', message: 'no healthy host', tenantId: 't1', databaseId: 'db1', operationId: 'op1' },
    ]);
  });

  test('a failover already ended and a database no longer failing over are left as they are', async () => {
    const w = world({ failover: { status: 'succeeded' }, db: { status: 'running' } });
    await w.svc.markFailed('op1', 'db1', 'late');
    assert.deepEqual(w.log, []);
    assert.equal(w.events.length, 1);
  });
});

describe('TakeoverService.run: few round trips, in parallel', () => {
  /**
   * Runs a takeover whose storage step finishes only once `seen` holds of the log (or after 2 s): what `seen` waits
   * for must have started beside the storage, or the assertions after it fail.
   */
  async function runGated(seen: (log: string[]) => boolean) {
    const w = world({ hosts: [host('p', { status: 'down' }), host('q')] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const takeover = w.driver.takeover;
    w.driver.takeover = async (target: HostEntity) => {
      const out = await takeover(target);
      const poll = setInterval(() => seen(w.log) && release(), 1);
      await gate;
      clearInterval(poll);
      return out;
    };
    const timeout = setTimeout(release, 2000);
    await w.run();
    clearTimeout(timeout);
    return { log: w.log, i: (s: string) => w.log.indexOf(s) };
  }

  test('the VIP, the image and the certificate are made ready while the storage is taken over', async () => {
    const { log, i } = await runGated((l) => l.includes('vip:q') && l.includes('image'));
    assert.ok(i('vip:q') < i('mark:storageMovedAt') && i('image') < i('mark:storageMovedAt'), log.join(', '));
    assert.ok(i('mark:storageMovedAt') < i('container'), log.join(', '));
  });

  test('the container is created on the target while the storage is taken over, bound where it will be mounted', async () => {
    const { log, i } = await runGated((l) => l.some((x) => x.startsWith('created ahead')));
    const ahead = i('created ahead:q:/mnt/q/v1/data');
    assert.ok(ahead >= 0 && ahead < i('mark:storageMovedAt'), log.join(', '));
    // Started (ensureRunning: prepared, then started) only once the storage is there.
    assert.ok(i('mark:storageMovedAt') < i('container'), log.join(', '));
  });

  test("the round trips to hosts are added to the failover record, a failed attempt's too", async () => {
    const w = world({ hosts: [host('p', { status: 'down' }), host('q')] });
    await w.run();
    assert.deepEqual(w.roundTrips, [1]);
    // Recorded before the failover is marked succeeded: whoever reads a finished one sees its count.
    assert.ok(
      w.log.indexOf('roundTrips:1') < w.log.indexOf('failover:{"status":"succeeded","error":null}'),
      w.log.join(),
    );
  });
});

describe('RoundTrips', () => {
  test('nested scopes all count; concurrent ones do not see each other; an ignored wait counts nowhere', async () => {
    const seen: number[] = [];
    await RoundTrips.count(async (outer) => {
      RoundTrips.note();
      await Promise.all([
        RoundTrips.count(async (a) => {
          RoundTrips.note();
          await new Promise((r) => setTimeout(r, 5));
          RoundTrips.note();
          seen.push(a());
        }),
        RoundTrips.count(async (b) => {
          RoundTrips.note();
          seen.push(b());
        }),
      ]);
      await RoundTrips.ignore(async () => RoundTrips.note());
      seen.push(outer());
    });
    assert.deepEqual(seen, [1, 2, 4]);
  });
});
