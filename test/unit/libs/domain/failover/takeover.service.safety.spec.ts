import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StepFailed } from '@app/domain/operations/operation-context';
import { TakeoverService } from '@app/domain/failover/takeover.service';
import type { FailoverEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);

const host = (id: string, extra: Partial<HostEntity> = {}) =>
  ({ id, name: id, status: 'active', connection: 'ssh', labels: {}, ...extra }) as HostEntity;

/**
 * A takeover run up to the storage step, on fakes: the old primary `p` (fenced, last seen at `lastSeen`), its DRBD
 * peer `s`, and the volume's last mirror reading. The driver's takeover records how it was called and stops the
 * run there (what follows is the container, tested elsewhere).
 */
async function runTakeover(opts: {
  mirrorState: VolumeEntity['mirrorState'];
  mirrorCheckedAt: Date | null;
  lastSeen: Date | null;
  reason?: FailoverEntity['reason'];
  acceptDataLoss?: boolean;
  oldPrimaryStatus?: HostEntity['status'];
}) {
  const p = host('p', { status: opts.oldPrimaryStatus ?? 'fenced', lastSeenAt: opts.lastSeen });
  const s = host('s');
  const f = {
    id: 'f1',
    databaseId: 'db1',
    status: 'running',
    reason: opts.reason ?? 'host-down',
    fromHostId: 'p',
    toHostId: 's',
    actor: 'failover-worker',
    fencedAt: at(1),
    acceptDataLoss: opts.acceptDataLoss ?? false,
  } as FailoverEntity;
  const volume = {
    id: 'v1',
    databaseId: 'db1',
    hostId: 'p',
    peerHostId: 's',
    driver: 'drbd',
    ha: 'drbd',
    mirrorState: opts.mirrorState,
    mirrorCheckedAt: opts.mirrorCheckedAt,
  } as VolumeEntity;
  const took: { target: string; opts?: { acceptDataLoss?: boolean } }[] = [];
  const released: string[] = [];
  const events: { type: string; message: string }[] = [];
  const driver = {
    takeover: async (target: HostEntity, _v: VolumeEntity, o?: { acceptDataLoss?: boolean }) => {
      took.push({ target: target.id, opts: o });
      throw new Error('REACHED the storage takeover');
    },
    release: async (h: HostEntity) => void released.push(h.id),
  };
  const unfiltered: string[] = [];
  const svc = new TakeoverService(
    { get: async () => ({ id: 'db1', tenantId: 't1', hostId: 'p', status: 'failing-over', vip: null }) } as never,
    { get: async (id: string) => (id === 'p' ? p : s) } as never,
    {} as never,
    { forDatabase: async () => volume } as never,
    { forOperation: async () => f, mark: async () => undefined } as never,
    { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
    { runtime: async () => ({ remove: async () => undefined }) } as never,
    { get: () => driver } as never,
    {} as never,
    {
      step: (_name: string, fn: () => Promise<unknown>) => fn(),
      loadLive: async () => ({ db: { id: 'db1', vip: null } }),
      ensureVip: async () => undefined,
      readyAhead: async () => undefined,
      // A switchover takes the database's IP allow-list off the old primary with its container.
      removeAllowList: async (h: HostEntity, id: string) => void unfiltered.push(`${h.id}:${id}`),
    } as never,
  );
  const op = { operationId: 'op1', attempt: 1, progress: async () => undefined };
  const error = await svc.run('db1', op as never).then(
    () => null,
    (err: Error) => err,
  );
  return { error, took, released, events, unfiltered };
}

describe('the takeover refuses to promote a DRBD peer on an unsafe mirror reading', () => {
  test("synced, read up to the old primary's last moments: promoted (not forced)", async () => {
    const r = await runTakeover({ mirrorState: 'synced', mirrorCheckedAt: at(-8), lastSeen: at(0) });
    assert.match(String(r.error?.message), /REACHED/);
    assert.deepEqual(r.took, [{ target: 's', opts: {} }]);
  });

  for (const [label, o, why] of [
    ['degraded', { mirrorState: 'degraded', mirrorCheckedAt: at(-1), lastSeen: at(0) }, /the mirror was degraded/],
    ['syncing', { mirrorState: 'syncing', mirrorCheckedAt: at(-1), lastSeen: at(0) }, /the mirror was syncing/],
    ['never read', { mirrorState: null, mirrorCheckedAt: null, lastSeen: at(0) }, /never read/],
    [
      'synced, but read 20 s before the old primary was last seen',
      { mirrorState: 'synced', mirrorCheckedAt: at(-20), lastSeen: at(0) },
      /is 20 s older than p's last sign of life/,
    ],
    [
      "an operator's failover (reason manual) without acceptDataLoss",
      { mirrorState: 'degraded', mirrorCheckedAt: at(-1), lastSeen: at(0), reason: 'manual' },
      /the mirror was degraded/,
    ],
  ] as const) {
    test(`${label}: a permanent refusal with the reason, nothing promoted`, async () => {
      const r = await runTakeover(o);
      assert.ok(r.error instanceof StepFailed, String(r.error));
      assert.equal((r.error as StepFailed).permanent, true, 'no retry: an operator decides');
      assert.equal((r.error as StepFailed).step, 'safety');
      assert.match(r.error.message, why);
      assert.match(r.error.message, /acceptDataLoss/);
      assert.deepEqual(r.took, []);
    });
  }

  test('an operator accepted the loss: promoted, forced, and recorded', async () => {
    const r = await runTakeover({
      mirrorState: 'degraded',
      mirrorCheckedAt: at(-1),
      lastSeen: at(0),
      reason: 'manual',
      acceptDataLoss: true,
    });
    assert.deepEqual(r.took, [{ target: 's', opts: { acceptDataLoss: true } }]);
    const e = r.events.find((x) => x.type === 'failover.data-loss-accepted');
    assert.match(String(e?.message), /accepted data loss: s promoted although the mirror was degraded/);
  });

  test('a clean switchover (old primary alive, mirror synced): released, then taken over as a release', async () => {
    const r = await runTakeover({
      mirrorState: 'synced',
      mirrorCheckedAt: at(-3),
      lastSeen: at(0),
      reason: 'switchover',
      oldPrimaryStatus: 'active',
    });
    assert.deepEqual(r.released, ['p']);
    assert.deepEqual(r.unfiltered, ['p:db1']);
    assert.deepEqual(r.took, [{ target: 's', opts: { released: true } }]);
  });

  test('a switchover on a degraded mirror is refused before anything stops: the database keeps running', async () => {
    const r = await runTakeover({
      mirrorState: 'degraded',
      mirrorCheckedAt: at(-3),
      lastSeen: at(0),
      reason: 'drain',
      oldPrimaryStatus: 'draining',
    });
    assert.ok(r.error instanceof StepFailed && r.error.permanent, String(r.error));
    assert.match(r.error.message, /the mirror was degraded.*a switchover now would lose the writes the peer lacks/);
    assert.deepEqual(r.released, []);
    assert.deepEqual(r.took, []);
  });
});
