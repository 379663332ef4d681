import { Inject, Injectable } from '@nestjs/common';
import type { BackupEntity } from '@app/persistence/entities';
import { BACKUP_REPOSITORY, BackupRepository } from '../../../ports';

/**
 * Backups, newest first: a tenant's whole list (those of deleted databases included, kept for the retention
 * period), or an operator's, across tenants.
 */
@Injectable()
export class ListBackupsUseCase {
  constructor(@Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository) {}

  execute(filter: { databaseId?: string; tenantId?: string }): Promise<BackupEntity[]> {
    return this.backups.list({ ...filter, limit: 500 });
  }
}
