import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../../../databases/database.exception';
import { CreateDatabaseUseCase } from '../../../databases/use-cases/create-database/create-database.usecase';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../../ports';
import { BackupException, BackupExceptionCode } from '../../backup.exception';
import type { BackupCredentials } from '../take-backup/take-backup.usecase';
import { findBackup } from '../find-backup';
import { RestoreBackupCommand } from './restore-backup.command';

/** A new database of the tenant from a completed backup (of a live or a deleted database). */
@Injectable()
export class RestoreBackupUseCase {
  constructor(
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    private readonly create: CreateDatabaseUseCase,
  ) {}

  async execute(cmd: RestoreBackupCommand): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const backup = await findBackup(this.backups, cmd);
    if (backup.status !== 'completed')
      throw new BackupException(BackupExceptionCode.NotRestorable, `the backup is ${backup.status}, not completed`);
    const sealed = await this.backups.getSealedCredentials(backup.id);
    if (!sealed) throw new BackupException(BackupExceptionCode.NotRestorable, 'the backup has no credentials');
    const creds = JSON.parse(this.secrets.open(sealed)) as BackupCredentials;
    const source = await this.databases.get(backup.databaseId);
    const plan = cmd.plan ?? (source ? await this.planName(source.planId) : undefined);
    if (!plan) throw new DatabaseException(DatabaseExceptionCode.PlanNotFound, 'give a plan: the original one is gone');
    return this.create.provision(
      {
        tenantId: cmd.tenantId,
        name: cmd.name,
        engine: backup.engine,
        version: backup.version,
        plan,
        ha: cmd.ha,
        // The backed-up database's list, when its row is still known (a copy of guarded data stays guarded).
        allowedCidrs: cmd.allowedCidrs ?? source?.allowedCidrs,
      },
      {
        origin: { kind: 'backup', backupId: backup.id, credentials: this.secrets.seal(creds.password) },
        username: creds.username,
        dbName: creds.dbName,
        adminPassword: creds.adminPassword ? this.secrets.seal(creds.adminPassword) : null,
        operationType: 'restore-backup',
        message: `restored from backup ${backup.id} of "${backup.databaseName}" (${backup.createdAt.toISOString()})`,
      },
    );
  }

  private async planName(planId: string): Promise<string | undefined> {
    return (await this.plans.get(planId))?.name;
  }
}
