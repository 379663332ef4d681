import { Inject, Injectable } from '@nestjs/common';
import type { BackupEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../../../databases/database.exception';
import { BACKUP_REPOSITORY, BackupRepository, DATABASE_REPOSITORY, DatabaseRepository } from '../../../ports';

/** A database's backups (tenant view): 404 for another tenant's database. */
@Injectable()
export class ListDatabaseBackupsUseCase {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
  ) {}

  async execute(tenantId: string, databaseId: string): Promise<BackupEntity[]> {
    const db = await this.databases.getForTenant(databaseId, tenantId);
    if (!db) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
    return this.backups.list({ tenantId, databaseId, limit: 500 });
  }
}
