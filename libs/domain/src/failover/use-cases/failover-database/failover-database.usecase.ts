import { Inject, Injectable } from '@nestjs/common';
import type { HostEntity } from '@app/persistence/entities';
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
} from '../../../ports';
import { FailoverException, FailoverExceptionCode } from '../../failover.exception';
import type { FailoverView } from '../../failover.view';
import { HostFailureService } from '../../host-failure.service';
import { mirrorRefusal } from '../../mirror-safety';
import { GetFailoverUseCase } from '../get-failover/get-failover.usecase';
import { FailoverDatabaseCommand } from './failover-database.command';

/**
 * A switchover when the primary's host is up (clean: stopped, released, then taken over), a failover when it is
 * down or fenced. Either way the VIP follows.
 */
@Injectable()
export class FailoverDatabaseUseCase {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(FAILOVER_REPOSITORY) private readonly failovers: FailoverRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly failure: HostFailureService,
    private readonly view: GetFailoverUseCase,
  ) {}

  async execute(cmd: FailoverDatabaseCommand, actor: string): Promise<FailoverView> {
    const db = await this.databases.get(cmd.databaseId);
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
    return this.view.execute(failover.id);
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
}
