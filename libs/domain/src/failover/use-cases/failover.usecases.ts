import { Inject, Injectable } from '@nestjs/common';
import { MoveDatabaseCommand } from '../../databases/use-cases/move-database/move-database.command';
import { MoveDatabaseUseCase } from '../../databases/use-cases/move-database/move-database.usecase';
import type { FailoverEntity, HostEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FAILOVER_REPOSITORY,
  FailoverRepository,
  HOST_REPOSITORY,
  HostRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { FailoverException, FailoverExceptionCode } from '../failover.exception';
import { HostFailureService } from '../host-failure.service';
import { mirrorRefusal } from '../mirror-safety';
import { FailoverDatabaseCommand, FenceHostCommand, ListFailoversQuery } from './failover.commands';

export interface FailoverView {
  id: string;
  databaseId: string;
  ha: string;
  reason: string;
  status: string;
  fromHost: { id: string; name: string } | null;
  toHost: { id: string; name: string } | null;
  actor: string | null;
  /** The operator accepted promoting a DRBD peer that may lack committed writes. */
  acceptDataLoss: boolean;
  error: string | null;
  operationId: string | null;
  timeline: {
    detectedAt: string;
    fencedAt: string | null;
    storageMovedAt: string | null;
    startedAt: string | null;
    reachableAt: string | null;
  };
  /** Milliseconds from detection to each step. */
  durationsMs: { fenced: number | null; storageMoved: number | null; started: number | null; reachable: number | null };
  createdAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toFailoverView(f: FailoverEntity, hosts: Map<string, HostEntity>): FailoverView {
  const ref = (id: string | null) => (id ? { id, name: hosts.get(id)?.name ?? '?' } : null);
  const since = (d: Date | null) => (d ? d.getTime() - f.detectedAt.getTime() : null);
  return {
    id: f.id,
    databaseId: f.databaseId,
    ha: f.ha,
    reason: f.reason,
    status: f.status,
    fromHost: ref(f.fromHostId),
    toHost: ref(f.toHostId),
    actor: f.actor,
    acceptDataLoss: f.acceptDataLoss ?? false,
    error: f.error,
    operationId: f.operationId,
    timeline: {
      detectedAt: f.detectedAt.toISOString(),
      fencedAt: iso(f.fencedAt),
      storageMovedAt: iso(f.storageMovedAt),
      startedAt: iso(f.startedAt),
      reachableAt: iso(f.reachableAt),
    },
    durationsMs: {
      fenced: since(f.fencedAt),
      storageMoved: since(f.storageMovedAt),
      started: since(f.startedAt),
      reachable: since(f.reachableAt),
    },
    createdAt: f.createdAt.toISOString(),
  };
}

/** Operators' failover actions: a database's failover or switchover, and drain, evacuate, fence, activate a host. */
@Injectable()
export class FailoverUseCases {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly failure: HostFailureService,
    private readonly mover: MoveDatabaseUseCase,
  ) {}

  async list(q: ListFailoversQuery): Promise<FailoverView[]> {
    const [rows, hosts] = await Promise.all([
      this.failovers.list({ databaseId: q.databaseId, hostId: q.hostId, status: q.status, limit: q.limit ?? 100 }),
      this.hosts.list(),
    ]);
    const byId = new Map(hosts.map((h) => [h.id, h]));
    return rows.map((f) => toFailoverView(f, byId));
  }

  async get(id: string): Promise<FailoverView> {
    const f = await this.failovers.get(id);
    if (!f) throw new FailoverException(FailoverExceptionCode.DatabaseNotFound, 'failover not found');
    return toFailoverView(f, new Map((await this.hosts.list()).map((h) => [h.id, h])));
  }

  /**
   * A switchover when the primary's host is up (clean: stopped, released, then taken over), a failover when it is
   * down or fenced. Either way the VIP follows.
   */
  async failoverDatabase(databaseId: string, cmd: FailoverDatabaseCommand, actor: string): Promise<FailoverView> {
    const db = await this.databases.get(databaseId);
    if (!db || db.deletedAt) throw new FailoverException(FailoverExceptionCode.DatabaseNotFound, 'database not found');
    if (db.ha === 'none')
      throw new FailoverException(
        FailoverExceptionCode.NotHighlyAvailable,
        'this database has no HA (ha "none"): it cannot move to another host by failover',
      );
    if (!['running', 'error', 'failing-over'].includes(db.status))
      throw new FailoverException(FailoverExceptionCode.BadState, `the database is ${db.status}`);
    const from = db.hostId ? await this.hosts.get(db.hostId) : null;
    if (cmd.targetHostId) await this.checkTarget(db.id, cmd.targetHostId, from);
    const reason = from && (from.status === 'active' || from.status === 'draining') ? 'switchover' : 'manual';
    const acceptDataLoss = cmd.acceptDataLoss === true;
    if (reason === 'manual' && !acceptDataLoss) {
      // The takeover would refuse it: say so now, with the reason, and start nothing.
      const volume = await this.volumes.forDatabase(db.id);
      const refusal = volume?.ha === 'drbd' && volume.hostId === from?.id ? mirrorRefusal(volume, from) : null;
      if (refusal)
        throw new FailoverException(
          FailoverExceptionCode.DataLossRisk,
          `${refusal}: the peer may lack writes the primary committed. Send {"acceptDataLoss": true} to promote it anyway`,
        );
    }
    const { failover, existing } = await this.failovers.start({
      databaseId: db.id,
      reason,
      fromHostId: from?.id ?? null,
      toHostId: cmd.targetHostId ?? null,
      actor,
      detectedAt: new Date(),
      acceptDataLoss,
    });
    const accepting = acceptDataLoss ? `, accepting the loss of writes the peer may lack` : '';
    if (!existing)
      await this.events.record({
        type: 'failover.requested',
        message: `${reason} requested by ${actor}${accepting}`,
        tenantId: db.tenantId,
        databaseId: db.id,
      });
    else if (acceptDataLoss && !failover.acceptDataLoss) {
      // The failover under way (e.g. waiting for its fence) goes on with the operator's decision.
      await this.failovers.update(failover.id, { acceptDataLoss: true });
      await this.events.record({
        type: 'failover.requested',
        message: `${actor} accepts the loss of writes the peer may lack for the failover under way`,
        tenantId: db.tenantId,
        databaseId: db.id,
      });
    }
    await this.failure.enqueue(failover);
    return this.get(failover.id);
  }

  /** No new databases, and every HA primary moved away with a clean switchover. */
  async drain(hostId: string, actor: string) {
    return this.moveAway(hostId, actor, 'drain');
  }

  /**
   * Everything off now, also from a host that is down or fenced (where drain refuses): HA databases fail over
   * (DRBD ones only once the host is fenced), the others are moved while their host still answers.
   */
  async evacuate(hostId: string, actor: string) {
    return this.moveAway(hostId, actor, 'evacuate');
  }

  async fence(hostId: string, cmd: FenceHostCommand, actor: string) {
    const host = await this.host(hostId);
    if (cmd.confirm !== host.name)
      throw new FailoverException(
        FailoverExceptionCode.ConfirmationRequired,
        `fencing powers ${host.name} off: repeat its name in "confirm"`,
      );
    if (host.connection === 'local')
      throw new FailoverException(FailoverExceptionCode.NotFenceable, 'the control plane host cannot be fenced');
    if (host.status === 'fenced') return { host: host.name, status: 'fenced', failovers: [] as string[] };
    await this.hosts.transition(host.id, ['active', 'draining'], 'down', `fenced by ${actor}`);
    await this.events.record({ type: 'host.fence-requested', message: `fence of ${host.name} by ${actor}`, hostId });
    const started = await this.failure.startFailovers(host, 'host-down', actor);
    // poweredOff: the operator vouches that the machine is off; no fencing method is run.
    const result = await this.failure.fenceAndRelease(
      host,
      cmd.poweredOff ? { fenced: true, method: 'operator', detail: `declared powered off by ${actor}` } : undefined,
    );
    return {
      host: host.name,
      status: result.fenced ? 'fenced' : 'down',
      fencing: result,
      failovers: started.map((f) => f.id),
    };
  }

  /**
   * Lets a host back in after an operator checked it: stale containers of databases that moved away are removed,
   * its DRBD copies rejoin as secondaries (and resync), and it takes new databases again.
   */
  async activate(hostId: string, actor: string) {
    const host = await this.host(hostId);
    const cleaned: string[] = [];
    const rejoined: string[] = [];
    if (host.status === 'fenced' || host.status === 'down') {
      for (const v of await this.volumes.listMirroredOn(host.id)) {
        const driver = this.storage.get(v.driver);
        if (driver.rejoin) {
          await driver.rejoin(host, v);
          rejoined.push(v.databaseId);
        }
      }
      cleaned.push(...(await this.failure.removeStaleContainers(host)));
    }
    await this.hosts.transition(host.id, ['fenced', 'down', 'draining'], 'active', null);
    await this.events.record({ type: 'host.activated', message: `host ${host.name} activated by ${actor}`, hostId });
    return { host: host.name, status: 'active', removedContainers: cleaned, rejoinedMirrors: rejoined };
  }

  private async moveAway(hostId: string, actor: string, reason: 'drain' | 'evacuate') {
    const host = await this.host(hostId);
    if (host.status === 'fenced' || host.status === 'down') {
      if (reason === 'drain')
        throw new FailoverException(FailoverExceptionCode.BadState, `host ${host.name} is ${host.status}: evacuate it`);
    } else {
      await this.hosts.transition(host.id, ['active', 'draining'], 'draining', `${reason} by ${actor}`);
    }
    await this.events.record({ type: `host.${reason}`, message: `${reason} of ${host.name} by ${actor}`, hostId });
    const started = await this.failure.startFailovers(host, reason, actor);
    const fresh = (await this.hosts.get(host.id))!;
    for (const f of started) if (fresh.status !== 'down' || f.ha === 'san') await this.failure.enqueue(f);
    // Databases without HA leave by a volume move (sync while running, short stop), which needs their host alive.
    const moves: { id: string; name: string; operationId: string }[] = [];
    const notMoved: { id: string; name: string; reason: string }[] = [];
    for (const d of (await this.databases.list({ hostId: host.id })).filter((x) => x.ha === 'none')) {
      if (fresh.status === 'down' || fresh.status === 'fenced') {
        notMoved.push({
          id: d.id,
          name: d.name,
          reason: `no HA and the host is ${fresh.status}: its data is unreachable`,
        });
        continue;
      }
      try {
        const op = await this.mover.execute(MoveDatabaseCommand.create({ databaseId: d.id }), actor);
        moves.push({ id: d.id, name: d.name, operationId: op.id });
      } catch (err) {
        notMoved.push({ id: d.id, name: d.name, reason: (err as Error).message });
      }
    }
    return { host: host.name, status: fresh.status, failovers: started.map((f) => f.id), moves, notMoved };
  }

  private async checkTarget(databaseId: string, targetHostId: string, from: HostEntity | null): Promise<void> {
    const target = await this.hosts.get(targetHostId);
    if (!target || target.status !== 'active' || target.id === from?.id)
      throw new FailoverException(FailoverExceptionCode.BadTarget, 'the target must be another active host');
    const volume = await this.volumes.forDatabase(databaseId);
    const driver = volume ? this.storage.get(volume.driver) : null;
    if (!volume || !driver?.takeoverCandidates?.(volume, [target]).length)
      throw new FailoverException(
        FailoverExceptionCode.BadTarget,
        `host ${target.name} cannot take this volume (${volume?.driver ?? 'none'})`,
      );
  }

  private async host(id: string): Promise<HostEntity> {
    const host = await this.hosts.get(id);
    if (!host) throw new FailoverException(FailoverExceptionCode.HostNotFound, 'host not found');
    return host;
  }
}
