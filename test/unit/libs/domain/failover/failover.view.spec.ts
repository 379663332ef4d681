import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailoverEntity } from '@app/persistence/entities';
import { toFailoverView } from '@app/domain/failover/failover.view';
import { host } from '../../../support/hosts';

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
