import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailoverEntity, HostEntity } from '@app/persistence/entities';
import { toFailoverView } from '@app/domain/failover/failover.view';

const host = (id: string, labels: Record<string, string> = {}, extra: Partial<HostEntity> = {}) =>
  ({
    id,
    name: id,
    status: 'active',
    storageDriver: 'directory',
    connection: 'ssh',
    labels,
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100 },
    replicationAddress: '10.0.1.1',
    ...extra,
  }) as HostEntity;

describe('failover view', () => {
  test('durations are measured from detection', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 0, 0, s));
    const f = {
      id: 'f',
      databaseId: 'd',
      ha: 'drbd',
      reason: 'host-down',
      status: 'succeeded',
      fromHostId: 'a',
      toHostId: 'b',
      actor: 'failover-worker',
      error: null,
      operationId: 'o',
      detectedAt: t(0),
      fencedAt: t(1),
      storageMovedAt: t(3),
      startedAt: t(4),
      reachableAt: null,
      createdAt: t(0),
    } as unknown as FailoverEntity;
    const v = toFailoverView(
      f,
      new Map([
        ['a', host('a')],
        ['b', host('b')],
      ]),
    );
    assert.deepEqual(v.durationsMs, { fenced: 1000, storageMoved: 3000, started: 4000, reachable: null });
    assert.deepEqual(v.fromHost, { id: 'a', name: 'a' });
    assert.equal(v.timeline.reachableAt, null);
  });
});
