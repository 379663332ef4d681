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
    private readonly copier: VolumeCopier,
    private readonly targets: BackupTargets,
  ) {}

  async seed(l: Loaded, hostPath: string, op: OperationContext, loadSource: (id: string) => Promise<Loaded>) {
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
      await this.events.record({
        type: 'database.cloned',
        message: `copied from ${source.db.name} by ${copy.method} (${moved}); ${frozen}`,
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
    await this.volumes.update(l.volume.id, { seededAt: new Date() });
  }
}
