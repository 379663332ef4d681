import { Inject, Injectable } from '@nestjs/common';
import { extractArchive, readFile, removePath } from '@app/storage/sync';
import { BackupTargets } from '../../backups/backup-target.service';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_CONNECTOR,
  HostConnector,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../ports';
import { reportTo, tagFor, VolumeCopier } from '../../volumes/volume-copier.service';
import type { Loaded } from './database-provisioner.service';
import { OperationContext, StepFailed } from './operation-runner';

/**
 * A clone's or a restore's first data, put in its fresh volume before its container first starts: a consistent
 * copy of the source database, or the backup's archive unpacked. Done once (the volume records it); a retry
 * after a crash mid-copy starts over on the same volume, and the incremental sync only moves what is missing.
 */
@Injectable()
export class VolumeSeeder {
  constructor(
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    private readonly copier: VolumeCopier,
    private readonly targets: BackupTargets,
  ) {}

  /**
   * A clone the storage can make itself, before the volume exists (a thin snapshot of the source's LUN): true when
   * it did (the volume is then seeded, with no data moved). False when it cannot; the reason is kept for the
   * clone's event, and the file copy runs once the volume is created.
   */
  async seedFromStorage(
    l: Loaded,
    op: OperationContext,
    loadSource: (id: string) => Promise<Loaded>,
  ): Promise<{ done: boolean; refused?: string }> {
    const origin = l.db.origin;
    if (origin?.kind !== 'clone' || l.volume.seededAt) return { done: false };
    const driver = this.storage.get(l.volume.driver);
    if (!driver.cloneVolume) return { done: false, refused: `${l.volume.driver} volumes are copied file by file` };
    const source = await loadSource(origin.databaseId).catch(() => {
      throw new StepFailed('clone', 'the source database is gone');
    });
    const started = Date.now();
    const made = await driver.cloneVolume(source, l);
    if ('refused' in made) return { done: false, refused: made.refused };
    await this.volumes.update(l.volume.id, { seededAt: new Date() });
    const message =
      `copied from ${source.db.name} by ${made.method} in ${Date.now() - started} ms (no data moved); ` +
      `the source's filesystem was frozen ${made.frozenMs} ms`;
    await this.events.record({
      type: 'database.cloned',
      message,
      tenantId: l.db.tenantId,
      databaseId: l.db.id,
      operationId: op.operationId,
    });
    await op.progress(50, `cloned by ${made.method}; the source was frozen ${made.frozenMs} ms`);
    return { done: true };
  }

  async seed(
    l: Loaded,
    hostPath: string,
    op: OperationContext,
    loadSource: (id: string) => Promise<Loaded>,
    notThin?: string,
  ) {
    const origin = l.db.origin;
    if (!origin || l.volume.seededAt) return;
    const target = { exec: await this.connector.executor(l.host), root: hostPath, label: 'new volume' };
    if (origin.kind === 'clone') {
      const source = await loadSource(origin.databaseId).catch(() => {
        throw new StepFailed('clone', 'the source database is gone');
      });
      await op.progress(8, 'copying the source database');
      const copy = await this.copier.copyConsistent(
        source,
        target,
        tagFor(op.operationId),
        reportTo(op, 8, 50, 'copy'),
      );
      const frozen = copy.frozenMs === null ? 'the source never stopped' : `the source was frozen ${copy.frozenMs} ms`;
      const moved = copy.passes.map((p) => `${p.transferredFiles} files/${p.transferredBytes} B`).join(', then ');
      const why = notThin ? ` (no storage-side clone: ${notThin})` : '';
      await this.events.record({
        type: 'database.cloned',
        message: `copied from ${source.db.name} by ${copy.method} (${moved}); ${frozen}${why}`,
        tenantId: l.db.tenantId,
        databaseId: l.db.id,
        operationId: op.operationId,
      });
      await op.progress(50, `copied with ${copy.method}; ${frozen}`);
    } else {
      const backup = await this.backups.get(origin.backupId);
      if (!backup || backup.deletedAt || backup.status !== 'completed')
        throw new StepFailed('restore', 'the backup is gone');
      const store = await this.targets.open(backup.target);
      await op.progress(8, 'unpacking the backup');
      // A retry starts from an empty directory: a half-unpacked archive is not a consistent state.
      await removePath(target, hostPath);
      const file = await readFile(store, backup.path);
      await Promise.all([
        extractArchive(file.stream, target, {
          totalBytes: backup.sizeBytes ?? undefined,
          onProgress: reportTo(op, 8, 50, 'restore'),
        }),
        file.done,
      ]);
    }
    // A copy of a PostgreSQL made read-only by its quota would come back as a standby (the signal is in its data):
    // the new database is judged against its own plan, and starts writable.
    if (l.db.engine === 'postgresql') await removePath(target, `${hostPath}/pgdata/standby.signal`);
    await this.volumes.update(l.volume.id, { seededAt: new Date() });
  }
}
