import { Inject, Injectable } from '@nestjs/common';
import { writeFile } from '@app/storage/sync';
import { DatabaseProvisioner } from '../databases/provisioning/database-provisioner.service';
import { OperationCancelled, OperationContext } from '../databases/provisioning/operation-runner';
import { BACKUP_REPOSITORY, BackupRepository, EVENT_REPOSITORY, EventRepository } from '../ports';
import { reportTo, tagFor, VolumeCopier } from '../volumes/volume-copier.service';
import { BackupTargets } from './backup-target.service';

/**
 * The backup job: a consistent copy of the data (an LVM snapshot where the volume has one, else a frozen copy;
 * see VolumeCopier), archived as tar.gz straight onto the backup target. Snapshot-based for every engine: the
 * archive is the engine's own files as a crash would have left them, so a restore is the engine's crash recovery.
 * A retry rewrites the archive from a new copy.
 */
@Injectable()
export class BackupRunner {
  constructor(
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly provisioner: DatabaseProvisioner,
    private readonly copier: VolumeCopier,
    private readonly targets: BackupTargets,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    const backup = await this.backups.forOperation(op.operationId);
    if (!backup || backup.deletedAt) throw new OperationCancelled('the backup was deleted');
    if (backup.status === 'completed') return;
    const l = await this.provisioner.loadLive(databaseId, ['running']);
    await this.backups.update(backup.id, { status: 'running', error: null });
    const store = await this.targets.open(backup.target);
    await op.progress(5, 'taking a consistent copy');
    const started = Date.now();
    const r = await this.provisioner.step('backup', () =>
      this.copier.archiveConsistent(l, tagFor(op.operationId), reportTo(op, 5, 95, 'backup'), (stream) =>
        writeFile(store, backup.path, stream),
      ),
    );
    await this.backups.update(backup.id, {
      status: 'completed',
      method: r.method,
      sizeBytes: r.bytes,
      files: r.files,
      completedAt: new Date(),
    });
    const frozen = r.frozenMs === null ? 'never stopped' : `frozen ${r.frozenMs} ms`;
    await this.events.record({
      type: 'backup.completed',
      message: `${backup.kind} backup ${backup.id}: ${r.files} files, ${r.bytes} bytes in ${Date.now() - started} ms (${r.method}, ${frozen})`,
      tenantId: l.db.tenantId,
      databaseId,
      operationId: op.operationId,
    });
    await op.progress(100, `backup completed (${r.method}, ${frozen})`);
  }

  async markFailed(operationId: string, message: string): Promise<void> {
    const backup = await this.backups.forOperation(operationId);
    if (backup && backup.status !== 'completed')
      await this.backups.update(backup.id, { status: 'failed', error: message });
  }
}
