import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MirrorWatchService } from '@app/domain/failover/mirror-watch.service';
import type { MirrorStatus } from '@app/domain/ports/infrastructure';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({ id, name: id, status: 'active', connection: 'ssh', labels: {}, ...extra }) as HostEntity;

describe("the failover worker answers a primary's fence-peer request", () => {
  function monitorWith(
    status: MirrorStatus,
    opts: { outdate?: () => Promise<void>; prior?: Pick<VolumeEntity, 'mirrorState' | 'mirrorCheckedAt'> } = {},
  ) {
    const log: string[] = [];
    const volume = {
      id: 'v1',
      databaseId: 'db1',
      hostId: 'p',
      peerHostId: 's',
      driver: 'drbd',
      // Written a moment ago: an unchanged state would not be written again now.
      ...(opts.prior ?? { mirrorState: 'degraded', mirrorCheckedAt: new Date() }),
    } as VolumeEntity;
    const driver = {
      mirrors: async () => new Map([['v1', status]]),
      outdatePeer: async (peer: HostEntity) => {
        log.push(`outdate on ${peer.id}`);
        await opts.outdate?.();
      },
      ackFencePeer: async (h: HostEntity, _v: VolumeEntity, token: string) => void log.push(`ack ${token} on ${h.id}`),
      clearFenceMarkers: async (h: HostEntity) => void log.push(`clear on ${h.id}`),
    };
    const svc = new MirrorWatchService(
      { get: async (id: string) => host(id) } as never,
      { get: async () => ({ id: 'db1', tenantId: 't1' }) } as never,
      {
        listLive: async () => [volume],
        update: async (_id: string, patch: Partial<VolumeEntity>) => void log.push(`record ${patch.mirrorState}`),
      } as never,
      { get: () => driver } as never,
      { record: async (e: { type: string }) => void log.push(`event ${e.type}`) } as never,
    );
    // The hosts the control plane cannot reach now (the monitor's failed probes).
    const tracked = new Map<string, { failures: number }>();
    const read = () => svc.read(host('p'), (id) => (tracked.get(id)?.failures ?? 0) > 0);
    return { log, read, tracked };
  }

  const settle = async (log: string[], last: string) => {
    for (let i = 0; i < 200 && !log.includes(last); i++) await new Promise((r) => setTimeout(r, 10));
  };

  test('degraded recorded first (even right after the same write), then the peer outdated, then the ack, then the event', async () => {
    const { log, read } = monitorWith({
      role: 'primary',
      state: 'degraded',
      fenceRequest: '1795900000 4242',
      fenceMarkers: true,
    });
    await read();
    await settle(log, 'event database.mirror-degraded');
    assert.deepEqual(log, [
      'record degraded',
      'outdate on s',
      'ack 1795900000 4242 on p',
      'event database.mirror-degraded',
    ]);
  });

  test('a peer that cannot be outdated (unreachable) does not keep the primary frozen: acked after the record', async () => {
    const { log, read } = monitorWith(
      { role: 'primary', state: 'degraded', fenceRequest: '1795900000 4242', fenceMarkers: true },
      { outdate: () => Promise.reject(new Error('connect ETIMEDOUT')) },
    );
    await read();
    await settle(log, 'event database.mirror-degraded');
    assert.deepEqual(log, [
      'record degraded',
      'outdate on s',
      'ack 1795900000 4242 on p',
      'event database.mirror-degraded',
    ]);
  });

  test('a peer this worker already cannot reach is not waited for (the primary is frozen meanwhile)', async () => {
    const { log, read, tracked } = monitorWith({
      role: 'primary',
      state: 'degraded',
      fenceRequest: '1795900000 4242',
      fenceMarkers: true,
    });
    tracked.set('s', { failures: 2 });
    await read();
    await settle(log, 'event database.mirror-degraded');
    assert.deepEqual(log, ['record degraded', 'ack 1795900000 4242 on p', 'event database.mirror-degraded']);
  });

  test('one answer per request, however many reads see it pending meanwhile', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { log, read } = monitorWith(
      { role: 'primary', state: 'degraded', fenceRequest: '1795900000 4242', fenceMarkers: true },
      { outdate: () => slow },
    );
    await read();
    await read();
    await read();
    release();
    await settle(log, 'event database.mirror-degraded');
    assert.equal(log.filter((l) => l.startsWith('ack')).length, 1);
    assert.equal(log.filter((l) => l === 'outdate on s').length, 1);
  });

  test('resynced: the markers removed before "synced" is recorded', async () => {
    const { log, read } = monitorWith(
      { role: 'primary', state: 'synced', fenceMarkers: true },
      { prior: { mirrorState: 'syncing', mirrorCheckedAt: new Date() } },
    );
    await read();
    assert.deepEqual(log, ['clear on p', 'record synced']);
  });
});
