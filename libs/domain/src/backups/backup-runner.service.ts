import { pipeline } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DatabaseRuntime } from '../databases/runtime/database-runtime.service';
import { OperationCancelled, OperationContext, StepFailed } from '../operations/operation-context';
import {
  CRYPTOGRAPHY,
  Cryptography,
  TREE_SYNC,
  TreeSync,
  BACKUP_REPOSITORY,
  BackupRepository,
  EVENT_REPOSITORY,
  EventRepository,
} from '../ports';
import { reportTo, tagFor, VolumeCopier } from '../volumes/volume-copier.service';
import { BackupKeys } from './backup-keys.service';
import { BackupTargets, partialPath } from './backup-target.service';

/**
 * The backup job: a consistent copy of the data (an LVM snapshot where the volume has one, else a frozen copy;
 * see VolumeCopier), archived as tar.gz, encrypted in the worker with the tenant's data key as it streams through
 * (see BackupKeys) and written onto the backup target under a temporary name. The SHA-256 of what was sent is
 * compared with the one of the file as stored, read back on the target; only then does the file take the archive's
 * name, and the SHA-256 is recorded: restores check it first. Snapshot-based for every
 * engine: the archive is the engine's own files as a crash would have left them, so a restore is the engine's
 * crash recovery. A retry rewrites the archive from a new copy.
 */
@Injectable()
export class BackupRunner {
  constructor(
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly copier: VolumeCopier,
    private readonly targets: BackupTargets,
    private readonly keys: BackupKeys,
    @Inject(TREE_SYNC) private readonly sync: TreeSync,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    const backup = await this.backups.forOperation(op.operationId);
    if (!backup || backup.deletedAt) throw new OperationCancelled('the backup was deleted');
    if (backup.status === 'completed') return;
    const l = await this.dbRuntime.loadLive(databaseId, ['running']);
    await this.backups.update(backup.id, { status: 'running', error: null });
    const store = await this.targets.open(backup.target);
    const key = await this.keys.forTenant(backup.tenantId);
    await op.progress(5, 'taking a consistent copy');
    const started = Date.now();
    let sent: { bytes: number; sha256: string } | undefined;
    const partial = partialPath(backup.path);
    const r = await this.dbRuntime.step('backup', () =>
      this.copier.archiveConsistent(l, tagFor(op.operationId), reportTo(op, 5, 95, 'backup'), async (stream) => {
        const hash = this.crypto.sha256Stream();
        // pipeline() passes a failure of any stage on to the others, so the writer sees it and stops.
        const sealed = pipeline(stream, this.crypto.encryptArchive(key, backup.id), hash, () => undefined);
        // Under a temporary name until checked: a write cut short (the target lost mid-way) is never taken for
        // an archive, whatever the state of the row.
        const written = await this.sync.writeFile(store, partial, sealed);
        sent = { bytes: written.bytes, sha256: hash.hex() };
        return written;
      }),
    );
    // What the target holds, read back there: a write that did not land as sent fails the attempt (retried).
    const stored = await this.dbRuntime.step('backup verification', () => this.targets.sha256(store, partial));
    if (!sent || stored !== sent.sha256)
      throw new StepFailed(
        'backup verification',
        `the archive stored on ${backup.target} differs from what was sent (SHA-256 ${stored ?? 'none'}, sent ${sent?.sha256})`,
      );
    await this.dbRuntime.step('archive rename', () => this.targets.commit(store, backup.path));
    await this.backups.update(backup.id, {
      status: 'completed',
      method: r.method,
      sizeBytes: sent.bytes,
      files: r.files,
      encryption: this.crypto.archiveEncryption,
      sha256: sent.sha256,
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
