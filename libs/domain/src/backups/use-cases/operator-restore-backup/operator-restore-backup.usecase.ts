import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { BACKUP_REPOSITORY, BackupRepository } from '../../../ports';
import { BackupException, BackupExceptionCode } from '../../backup.exception';
import { RestoreBackupCommand } from '../restore-backup/restore-backup.command';
import { RestoreBackupUseCase } from '../restore-backup/restore-backup.usecase';

/** An operator's restore, into the backup's own tenant (a deleted database's backup included). */
@Injectable()
export class OperatorRestoreBackupUseCase {
  constructor(
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    private readonly restore: RestoreBackupUseCase,
  ) {}

  async execute(
    backupId: string,
    body: Pick<RestoreBackupCommand, 'name' | 'plan' | 'ha'>,
  ): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const b = await this.backups.get(backupId);
    if (!b || b.deletedAt) throw new BackupException(BackupExceptionCode.NotFound, 'backup not found');
    return this.restore.execute(RestoreBackupCommand.create({ ...body, tenantId: b.tenantId, backupId }));
  }
}
