import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { DatabaseMover, type MoveParams } from '@app/domain/databases/moving/database-mover.service';
import type { Loaded } from '@app/domain/databases/runtime/database-runtime.service';
import { StepFailed } from '@app/domain/operations/operation-context';
import type { SyncOptions, TreeLocation } from '@app/domain/ports';
import type { DatabaseEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';

const DB = 'db1';
const OP = 'op1';
const host = (id: string, status = 'active') => ({ id, name: id, status, storageDriver: 'directory' }) as HostEntity;
const volume = (id: string, hostId: string, path: string | null) =>
  ({ id, databaseId: DB, hostId, driver: 'directory', sizeGb: 10, path, deletedAt: null }) as VolumeEntity;

/**
 * The mover against fakes of its ports and of the database runtime. Every call that matters lands in `log`, in
 * order, as `what host detail` (hosts by id), so a test reads as the sequence the move performs.
 */
function world(opts: { params?: Partial<MoveParams>; target?: HostEntity } = {}) {
  const log: string[] = [];
  const hosts = new Map([
    ['h1', host('h1')],
    ['h2', opts.target ?? host('h2')],
  ]);
  const volumes = new Map([['v1', volume('v1', 'h1', '/data/v1')]]);
  const db = { id: DB, tenantId: 't1', hostId: 'h1', status: 'running' } as DatabaseEntity;
  let params: Record<string, unknown> = { targetHostId: 'h2', ...opts.params };
  let current = { hostId: 'h1', volumeId: 'v1' };
  if (opts.params?.oldVolumeId) current = { hostId: 'h2', volumeId: 'v2' };
  if (opts.params?.incomingVolumeId) volumes.set('v2', volume('v2', 'h2', '/data/v2'));
  const events: { type: string; message: string }[] = [];

  const loaded = (): Loaded =>
    ({
      db: { ...db, hostId: current.hostId },
      host: hosts.get(current.hostId)!,
      volume: volumes.get(current.volumeId)!,
      plan: {},
      ctx: {},
    }) as unknown as Loaded;
  const dbRuntime = {
    loadLive: async () => loaded(),
    step: async <T>(_name: string, fn: () => Promise<T>) => fn(),
    spec: async (l: Loaded, hostPath: string) => ({ name: `dbaas-${DB}`, image: 'img', host: l.host.id, hostPath }),
    waitReady: async (l: Loaded, o: { retryCrash?: boolean }) =>
      void log.push(`ready ${l.host.id} retryCrash=${o.retryCrash}`),
    applyLimits: async (l: Loaded) => void log.push(`limits ${l.host.id}`),
    cleanUpHost: async (h: HostEntity) => void log.push(`cleanUpHost ${h.id}`),
  };
  const runtimeOf = (h: HostEntity) => ({
    ensureImage: async (image: string) => void log.push(`pull ${h.id} ${image}`),
    stop: async (name: string) => void log.push(`stop ${h.id} ${name}`),
    ensureRunning: async (spec: { hostPath: string }) => void log.push(`start ${h.id} ${spec.hostPath}`),
    remove: async (name: string) => void log.push(`remove ${h.id} ${name}`),
  });
  const connector = {
    executor: async (h: HostEntity) => ({ host: h.id }),
    runtime: async (h: HostEntity) => runtimeOf(h),
  };
  let pass = 0;
  const sync = {
    syncTree: async (src: TreeLocation, dst: TreeLocation, o: SyncOptions) => {
      pass++;
      log.push(`sync ${src.root} -> ${dst.root} live=${!!o.live} since=${o.modifiedSince ?? '-'}`);
      return { transferredFiles: pass, transferredBytes: pass * 100, sourceStartedAt: `t${pass}` };
    },
  };
  const storage = {
    get: () => ({
      ensure: async (h: HostEntity, v: VolumeEntity) => {
        log.push(`ensure ${h.id} ${v.id}`);
        return { hostPath: `/data/${v.id}` };
      },
      remove: async (h: HostEntity, v: VolumeEntity) => void log.push(`volume-remove ${h.id} ${v.id}`),
    }),
  };
  const volumeRepo = {
    get: async (id: string) => volumes.get(id) ?? null,
    createIncoming: async (v: { hostId: string }) => {
      const made = volume('v2', v.hostId, null);
      volumes.set('v2', made);
      log.push(`incoming ${v.hostId}`);
      return made;
    },
    update: async (id: string, patch: Partial<VolumeEntity>) => {
      volumes.set(id, { ...volumes.get(id)!, ...patch });
      if (patch.deletedAt) log.push(`volume-deleted ${id}`);
    },
    cutOver: async (from: string, to: string) => {
      current = { hostId: volumes.get(to)!.hostId, volumeId: to };
      log.push(`cutOver ${from} -> ${to}`);
    },
  };
  const operations = {
    get: async () => ({ id: OP, params }),
    setParams: async (_id: string, p: Record<string, unknown>) => void (params = p),
  };
  const databases = {
    get: async () => db,
    moveTo: async (_id: string, hostId: string) => void log.push(`moveTo ${hostId}`),
  };
  const mover = new DatabaseMover(
    databases as never,
    { get: async (id: string) => hosts.get(id) ?? null } as never,
    volumeRepo as never,
    operations as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    connector as never,
    storage as never,
    sync as never,
    { PORT_RANGE: '20000-20100' } as never,
    dbRuntime as never,
  );
  const progress: string[] = [];
  const op = { operationId: OP, attempt: 1, progress: async (_p: number, m: string) => void progress.push(m) };
  return { mover, log, events, op, progress, params: () => params as unknown as MoveParams };
}

describe('DatabaseMover', () => {
  Logger.overrideLogger(false);

  test('copies live twice, stops, moves the rest, cuts over, starts on the target, then cleans up the source', async () => {
    const w = world();
    await w.mover.run(DB, w.op as never);
    assert.deepEqual(w.log, [
      'incoming h2',
      'ensure h2 v2',
      'sync /data/v1 -> /data/v2 live=true since=-',
      // The image is pulled before the stop: the download is not part of the downtime.
      'pull h2 img',
      'sync /data/v1 -> /data/v2 live=true since=t1',
      'stop h1 dbaas-db1',
      'sync /data/v1 -> /data/v2 live=false since=t2',
      'moveTo h2',
      'cutOver v1 -> v2',
      'start h2 /data/v2',
      'ready h2 retryCrash=true',
      'limits h2',
      'remove h1 dbaas-db1',
      'cleanUpHost h1',
      'volume-remove h1 v1',
    ]);
    const p = w.params();
    assert.equal(p.oldVolumeId, 'v1');
    assert.equal(p.oldHostId, 'h1');
    assert.equal(typeof p.downtimeMs, 'number');
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0].type, 'database.moved');
    assert.match(w.events[0].message, /^moved to h2; the database was stopped for \d+ ms$/);
    assert.equal(w.progress.at(-1), w.events[0].message);
  });

  test('a retry after the cut-over copies nothing again: it starts on the target and finishes the clean-up', async () => {
    const w = world({ params: { incomingVolumeId: 'v2', oldVolumeId: 'v1', oldHostId: 'h1', stoppedAt: Date.now() } });
    await w.mover.run(DB, w.op as never);
    assert.deepEqual(w.log, [
      'start h2 /data/v2',
      'ready h2 retryCrash=true',
      'limits h2',
      'remove h1 dbaas-db1',
      'cleanUpHost h1',
      'volume-remove h1 v1',
    ]);
  });

  test('a retry before the cut-over reuses the incoming volume it made', async () => {
    const w = world({ params: { incomingVolumeId: 'v2' } });
    await w.mover.run(DB, w.op as never);
    assert.ok(!w.log.includes('incoming h2'));
    assert.equal(w.log[0], 'ensure h2 v2');
  });

  test('a target host that is not active refuses the move before anything is copied', async () => {
    const w = world({ target: host('h2', 'draining') });
    await assert.rejects(
      w.mover.run(DB, w.op as never),
      (err: unknown) => err instanceof StepFailed && err.message === 'move failed: the target host is draining',
    );
    assert.deepEqual(w.log, []);
  });

  test('given up before the cut-over: the database runs again where it was and the half copy goes', async () => {
    const w = world({ params: { incomingVolumeId: 'v2' } });
    await w.mover.markFailed(OP, DB);
    assert.deepEqual(w.log, ['start h1 /data/v1', 'limits h1', 'volume-remove h2 v2', 'volume-deleted v2']);
  });

  test('given up after the cut-over: nothing is rolled back (the database lives on the target)', async () => {
    const w = world({ params: { incomingVolumeId: 'v2', oldVolumeId: 'v1', oldHostId: 'h1' } });
    await w.mover.markFailed(OP, DB);
    assert.deepEqual(w.log, []);
  });
});
