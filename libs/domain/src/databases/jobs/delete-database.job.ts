import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity } from '@app/persistence/entities';
import { BackupTargets } from '../../backups/backup-target.service';
import { retentionMs } from '../../backups/retention';
import { StandbyService } from '../../failover/standby.service';
import { OperationContext } from '../../operations/operation-context';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  OPERATION_REPOSITORY,
  OperationRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { containerName } from '../runtime/container-spec';
import { DatabaseRuntime } from '../runtime/database-runtime.service';

/** The delete-database job: container, password files, VIP and volume off the host; the backups kept or purged. */
@Injectable()
export class DeleteDatabaseJob {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly targets: BackupTargets,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly standby: StandbyService,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleted') return;
    const host = db.hostId ? await this.hosts.get(db.hostId) : null;
    if (host) {
      await op.progress(10, 'removing the container');
      const runtime = await this.connector.runtime(host);
      await this.dbRuntime.step('container removal', () => runtime.remove(containerName(db.id)));
      await this.dbRuntime.cleanUpHost(host, db);
      if (db.vip)
        await this.dbRuntime.step('VIP removal', async () =>
          (await this.connector.vips(host)).remove(db.vip!, this.dbRuntime.vipPrefix()),
        );
      const volume = await this.volumes.forDatabase(db.id);
      await this.standby.remove(db, volume);
      if (volume && !volume.deletedAt) {
        await op.progress(50, 'removing the volume');
        await this.dbRuntime.step('volume removal', () => this.storage.get(volume.driver).remove(host, volume));
        await this.volumes.update(volume.id, { deletedAt: new Date() });
      }
    }
    await this.databases.markDeleted(db.id);
    const keepBackups = (await this.operations.get(op.operationId))?.params.keepBackups !== false;
    await this.retireBackups(db, keepBackups);
    await this.events.record({
      type: 'database.deleted',
      message: `container, volume and secrets removed; backups ${keepBackups ? 'kept for the retention period' : 'deleted'}`,
      tenantId: db.tenantId,
      databaseId: db.id,
      operationId: op.operationId,
    });
  }

  /** A deleted database's backups expire after its plan's retention period, or go at once when asked. */
  private async retireBackups(db: DatabaseEntity, keep: boolean): Promise<void> {
    if (keep) {
      const plan = await this.plans.get(db.planId);
      const ms = retentionMs(plan?.backupDaily ?? 7, plan?.backupWeekly ?? 4);
      await this.backups.expireForDatabase(db.id, new Date(Date.now() + ms));
      return;
    }
    // A purge confirmed by the database's name at the API (see purgeRefusal), recorded backup by backup.
    for (const b of await this.backups.list({ databaseId: db.id, limit: 10_000 })) {
      if (b.status === 'running' || b.status === 'pending') await this.backups.update(b.id, { status: 'failed' });
      await this.dbRuntime.step('backup removal', () => this.targets.remove(b));
      await this.backups.markDeleted(b.id);
      await this.events.record({
        type: 'backup.purged',
        message: `backup ${b.id} of "${db.name}" purged with its database, confirmed by name`,
        tenantId: db.tenantId,
        databaseId: db.id,
      });
    }
  }
}
