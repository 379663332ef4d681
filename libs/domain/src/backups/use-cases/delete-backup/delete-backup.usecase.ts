import { Inject, Injectable } from '@nestjs/common';
import type { BackupEntity } from '@app/persistence/entities';
import { BACKUP_REPOSITORY, BackupRepository, EVENT_REPOSITORY, EventRepository } from '../../../ports';
import { BackupException, BackupExceptionCode } from '../../backup.exception';
import { BackupTargets } from '../../backup-target.service';
import { purgeRefusal } from '../../purge-confirmation';
import { findBackup } from '../find-backup';
import { DeleteBackupCommand } from './delete-backup.command';

/**
 * Deletes a backup now, before its retention ends: the archive on the target, then the row (the worker's pruning
 * does the same when it expires). A purge, so it needs the backup's database's name as confirmation (see
 * purgeRefusal); it is recorded as a `backup.purged` event besides the audit log's entry.
 */
@Injectable()
export class DeleteBackupUseCase {
  constructor(
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly targets: BackupTargets,
  ) {}

  async execute(cmd: DeleteBackupCommand, actor: string): Promise<void> {
    await this.purge(await findBackup(this.backups, cmd), cmd.confirm, actor);
  }

  /** An operator's early purge: any tenant's backup (a deleted database's too), confirmed the same way. */
  async asOperator(backupId: string, confirm: string | undefined, actor: string): Promise<void> {
    const b = await this.backups.get(backupId);
    if (!b || b.deletedAt) throw new BackupException(BackupExceptionCode.NotFound, 'backup not found');
    await this.purge(b, confirm, actor);
  }

  private async purge(b: BackupEntity, confirm: string | undefined, actor: string): Promise<void> {
    const refused = purgeRefusal(b.databaseName, confirm);
    if (refused) throw new BackupException(BackupExceptionCode.PurgeNotConfirmed, refused);
    if (b.status === 'pending' || b.status === 'running')
      throw new BackupException(BackupExceptionCode.Busy, 'the backup is still being taken');
    await this.targets.remove(b);
    await this.backups.markDeleted(b.id);
    await this.events.record({
      type: 'backup.purged',
      message: `backup ${b.id} of "${b.databaseName}" (${b.createdAt.toISOString()}) purged by ${actor}, confirmed by name`,
      tenantId: b.tenantId,
      databaseId: b.databaseId,
    });
  }
}
