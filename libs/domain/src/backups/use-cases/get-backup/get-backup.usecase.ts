import { Inject, Injectable } from '@nestjs/common';
import type { BackupEntity } from '@app/persistence/entities';
import { BACKUP_REPOSITORY, BackupRepository } from '../../../ports';
import { BackupRefCommand } from '../backup-ref.command';
import { findBackup } from '../find-backup';

@Injectable()
export class GetBackupUseCase {
  constructor(@Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository) {}

  execute(cmd: BackupRefCommand): Promise<BackupEntity> {
    return findBackup(this.backups, cmd);
  }
}
