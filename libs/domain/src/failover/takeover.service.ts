import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FailoverEntity, HostEntity, VolumeEntity } from '@app/persistence/entities';
import { DatabaseRuntime } from '../databases/runtime/database-runtime.service';
import { containerName } from '../databases/runtime/container-spec';
import { OperationCancelled, OperationContext, StepFailed } from '../operations/operation-context';
import { chooseHost, sharesFailureDomain } from '../placement/least-loaded';
import { PLACEMENT_LOCK_KEY, PLACEMENT_LOCK_WAIT_MS } from '../placement/placement.service';
import { mirrorRefusal } from './mirror-safety';
import { settleAll } from '../shared/settle';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FAILOVER_REPOSITORY,
  FailoverRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  RESOURCE_LOCK,
  ResourceLock,
  RoundTrips,
  STORAGE_DRIVERS,
  StorageDriver,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';

/**
 * The body of a failover job: the old primary made unable to write (fenced, or released cleanly on a
 * switchover), the storage taken over on the target, the VIP and the container brought up there, and the
 * database checked reachable. Every step reconciles what it finds, so a second worker that picks the job up
 * after the first one died finishes it with exactly one primary.
 */
@Injectable()
export class TakeoverService {
  private readonly logger = new Logger(TakeoverService.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    const f = await this.failovers.forOperation(op.operationId);
    if (!f) throw new StepFailed('failover', 'the failover record is missing');
    if (f.status !== 'running') return;
    // The round trips to hosts this attempt makes, added to the record whatever its outcome: before it is marked
    // succeeded (whoever reads a finished failover sees its count), or when the attempt fails.
    await RoundTrips.count(async (counted) => {
      let recorded = 0;
      const record = async () => {
        const n = counted() - recorded;
        recorded += n;
        if (n > 0)
          await this.failovers.addRoundTrips(f.id, n).catch((err: Error) => {
            this.logger.warn(`failover ${f.id}: round trips not recorded: ${err.message}`);
          });
      };
      try {
        await this.takeOver(f, databaseId, op, record);
      } finally {
        await record();
      }
    });
  }

  private async takeOver(
    f: FailoverEntity,
    databaseId: string,
    op: OperationContext,
    recordRoundTrips: () => Promise<void>,
  ): Promise<void> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleting' || db.status === 'deleted') {
      await this.failovers.update(f.id, { status: 'failed', error: 'the database was deleted' });
      throw new OperationCancelled('the database is being deleted');
    }
    const volume = await this.volumes.forDatabase(db.id);
    if (!volume) throw new StepFailed('failover', 'the database has no volume');
    const driver = this.storage.get(volume.driver);
    if (!driver.takeover) throw new StepFailed('failover', `${volume.driver} volumes cannot move to another host`);
    const from = f.fromHostId ? await this.hosts.get(f.fromHostId) : null;

    // 1. The old primary must not be able to write any more.
    let released = false;
    // A clean hand-over chooses its target before the old primary stops (see standbyAhead).
    let early: HostEntity | undefined;
    if (from && db.hostId === from.id) {
      await op.progress(10, `making sure ${from.name} no longer writes`);
      released = await this.stopOldPrimary(f, from, volume, driver, db.vip, db.id, async () => {
        early = await this.target(f, volume, driver, from);
        await this.standbyAhead(early, volume, driver, db.id);
      });
    }
    if (!f.fencedAt) await this.failovers.mark(f.id, 'fencedAt');

    // 2. Where to: the DRBD peer, or a healthy host of the same SAN backend.
    const target = early ?? (await this.target(f, volume, driver, from));
    // 3. The storage.
    await op.progress(30, `taking the storage over on ${target.name}`);
    const fresh = (await this.volumes.forDatabase(db.id))!;
    let acceptDataLoss = false;
    if (fresh.ha === 'drbd' && fresh.hostId !== target.id && !released) {
      // Not a clean hand-over: the peer has every committed write only if the mirror was read synced up to the
      // old primary's last moments (the fence-peer handler makes such a reading reliable).
      const refusal = mirrorRefusal(fresh, from);
      if (refusal && !f.acceptDataLoss)
        throw new StepFailed(
          'safety',
          `${refusal}; the copy on ${target.name} may lack committed writes and was not promoted. An operator ` +
            `decides: POST /admin/v1/databases/${db.id}/failover with {"acceptDataLoss": true} promotes it anyway`,
          { permanent: true },
        );
      if (refusal) {
        acceptDataLoss = true;
        await this.events.record({
          type: 'failover.data-loss-accepted',
          message: `${f.actor ?? 'an operator'} accepted data loss: ${target.name} promoted although ${refusal}`,
          tenantId: db.tenantId,
          databaseId: db.id,
          hostId: target.id,
          operationId: op.operationId,
        });
      }
    }
    // Meanwhile, what the start needs that does not depend on the storage: the VIP (the old primary no longer holds
    // it), the image and the certificate on the target. All settle before anything goes on: a retry never runs
    // beside a step of this attempt still under way.
    const onTarget = { ...(await this.dbRuntime.loadLive(db.id)), host: target };
    let madeAhead = false;
    const [storage] = await settleAll([
      this.dbRuntime.step('storage takeover', async () => {
        const mounted = await driver.takeover!(target, fresh, {
          ...(acceptDataLoss ? { acceptDataLoss } : {}),
          ...(released ? { released } : {}),
        });
        await this.failovers.mark(f.id, 'storageMovedAt');
        return mounted;
      }),
      this.dbRuntime.ensureVip(onTarget.db, target),
      // The container too, bound to where the volume will be mounted: started once it is (a guard stands there
      // meanwhile, so a start without the volume fails rather than making an empty database).
      this.dbRuntime.readyAhead(onTarget).then(async () => {
        const at = driver.takeoverPaths?.(target, fresh);
        if (at) madeAhead = await this.dbRuntime.createAhead(onTarget, at);
      }),
    ]);
    if (db.hostId !== target.id) await this.databases.update(db.id, { hostId: target.id });

    // 4. The container on the target.
    await op.progress(55, `starting the database on ${target.name}`);
    const l = await this.dbRuntime.loadLive(db.id);
    const runtime = await this.connector.runtime(target);
    const spec = await this.dbRuntime.spec(l, storage.hostPath, (m) => op.progress(55, m), {
      allowListApplied: madeAhead,
    });
    await this.dbRuntime.step('container start', () => runtime.ensureRunning(spec));
    await this.failovers.mark(f.id, 'startedAt');

    // 5. Reachable again on the same endpoint.
    await op.progress(75, 'waiting for the database to accept connections');
    // Its polls (a look at the container each second while the engine recovers) are not steps: not counted.
    await RoundTrips.ignore(() => this.dbRuntime.waitReady(l, { retryCrash: true }));
    await this.dbRuntime.applyLimits(l, (m) => op.progress(80, m));
    await this.failovers.mark(f.id, 'reachableAt');
    await this.databases.update(db.id, { status: 'running' });
    await recordRoundTrips();
    await this.failovers.update(f.id, { status: 'succeeded', error: null });
    await this.events.record({
      type: 'database.failed-over',
      message: `${f.reason}: primary moved from ${from?.name ?? '?'} to ${target.name}`,
      tenantId: db.tenantId,
      databaseId: db.id,
      hostId: target.id,
      operationId: op.operationId,
    });
    await op.progress(100, `running on ${target.name}`);
  }

  /** When retries are spent: the record says why, and the database waits for an operator. */
  async markFailed(operationId: string, databaseId: string, message: string): Promise<void> {
    const f = await this.failovers.forOperation(operationId);
    if (f && f.status === 'running') await this.failovers.update(f.id, { status: 'failed', error: message });
    const db = await this.databases.get(databaseId);
    if (db && db.status === 'failing-over') await this.databases.update(databaseId, { status: 'error' });
    await this.events.record({
      type: 'failover.failed',
      message,
      tenantId: db?.tenantId ?? null,
      databaseId,
      operationId,
    });
  }

  /** True when the old primary handed over cleanly (released); false when it is cut off (fenced). */
  private async stopOldPrimary(
    f: FailoverEntity,
    from: HostEntity,
    volume: VolumeEntity,
    driver: StorageDriver,
    vip: string | null,
    databaseId: string,
    beforeStop: () => Promise<void>,
  ): Promise<boolean> {
    const fresh = (await this.hosts.get(from.id))!;
    if (fresh.status === 'fenced') return false;
    if (f.reason === 'host-down' || fresh.status === 'down') {
      // SAN: the storage server's ACL switch in the takeover is itself the fence. DRBD has no such thing: its
      // peer is promoted only once the old primary is known to be off.
      if (volume.ha === 'san') return false;
      throw new StepFailed('fencing', `host ${from.name} is not fenced yet; it must be before its peer is promoted`);
    }
    // A clean switchover: the old primary is alive and hands over. A DRBD peer that is not in sync would lack the
    // writes it missed: checked before anything stops, so a refused switchover leaves the database running.
    if (volume.ha === 'drbd' && !f.acceptDataLoss) {
      const refusal = mirrorRefusal(volume, fresh);
      if (refusal)
        throw new StepFailed(
          'safety',
          `${refusal}; a switchover now would lose the writes the peer lacks: wait for the resync (the database ` +
            `keeps running on ${from.name}), or POST /admin/v1/databases/${databaseId}/failover with {"acceptDataLoss": true}`,
          { permanent: true },
        );
    }
    await beforeStop();
    const runtime = await this.connector.runtime(fresh);
    await this.dbRuntime.step('old container stop', () => runtime.remove(containerName(f.databaseId)));
    // Its filter goes with it (the VIP's port there may serve another database one day); the target gets its own.
    await this.dbRuntime.removeAllowList(fresh, f.databaseId);
    if (vip)
      await this.dbRuntime.step('old VIP removal', async () =>
        (await this.connector.vips(fresh)).remove(vip, this.dbRuntime.vipPrefix()),
      );
    await this.dbRuntime.step('storage release', () => driver.release!(fresh, volume));
    return true;
  }

  /**
   * A clean hand-over's target gets what a standby holds (the network holder running, the container created) while
   * the database still runs on its old primary: out of its downtime, which then holds only the stop, the storage and
   * the start. A power cut never comes here (nothing is made before the old primary is known to be off). Only an
   * optimisation: it never fails the hand-over (the takeover makes whatever is missing).
   */
  private async standbyAhead(
    target: HostEntity,
    volume: VolumeEntity,
    driver: StorageDriver,
    databaseId: string,
  ): Promise<void> {
    const at = driver.takeoverPaths?.(target, volume);
    if (!at) return;
    try {
      const l = { ...(await this.dbRuntime.loadLive(databaseId)), host: target };
      await this.dbRuntime.readyAhead(l);
      await this.dbRuntime.createAhead(l, at);
    } catch (err) {
      this.logger.warn(`database ${databaseId}: nothing made ahead on ${target.name}: ${(err as Error).message}`);
    }
  }

  private async target(
    f: FailoverEntity,
    volume: VolumeEntity,
    driver: StorageDriver,
    from: HostEntity | null,
  ): Promise<HostEntity> {
    if (f.toHostId) {
      const chosen = await this.hosts.get(f.toHostId);
      if (!chosen) throw new StepFailed('placement', 'the target host no longer exists');
      return chosen;
    }
    const db = (await this.databases.get(f.databaseId))!;
    const plan = await this.plans.get(db.planId);
    if (!plan) throw new StepFailed('placement', 'the plan no longer exists');
    // Read and recorded under the placement lock: the failover row's target holds the room there (see the host
    // repository's reservations), so a create placed meanwhile does not take it.
    return this.lock.withLock(
      PLACEMENT_LOCK_KEY,
      async () => {
        const healthy = (await this.hosts.list()).filter((h) => h.status === 'active' && h.id !== from?.id);
        const candidates = driver.takeoverCandidates ? driver.takeoverCandidates(volume, healthy) : [];
        // Another failure domain than the dead host's first; any candidate with room otherwise.
        const usage = await this.hosts.usage();
        const apart = from ? candidates.filter((h) => !sharesFailureDomain(h, from)) : candidates;
        const chosen = chooseHost(apart, usage, { plan }) ?? chooseHost(candidates, usage, { plan }) ?? candidates[0];
        if (!chosen) throw new StepFailed('placement', 'no healthy host can take this database over');
        await this.failovers.update(f.id, { toHostId: chosen.id });
        return chosen;
      },
      PLACEMENT_LOCK_WAIT_MS,
    );
  }
}
