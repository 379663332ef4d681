import type { BackupEntity } from '@app/persistence/entities';
import type { BackupRepository } from '../../ports';
import { BackupException, BackupExceptionCode } from '../backup.exception';
import type { BackupRefCommand } from './backup-ref.command';

/** The tenant's backup (of that database, when named), or a 404. */
export async function findBackup(backups: BackupRepository, cmd: BackupRefCommand): Promise<BackupEntity> {
  const b = await backups.getForTenant(cmd.backupId, cmd.tenantId);
  if (!b || (cmd.databaseId && b.databaseId !== cmd.databaseId))
    throw new BackupException(BackupExceptionCode.NotFound, 'backup not found');
  return b;
}
