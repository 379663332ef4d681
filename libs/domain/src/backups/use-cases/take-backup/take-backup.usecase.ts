import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobName, JobQueue } from '@app/jobs';
import type { BackupEntity, BackupKind, DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../../../databases/database.exception';
import { enqueueOrDefer } from '../../../operations/enqueue-or-defer';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../../ports';
import { BackupException, BackupExceptionCode } from '../../backup.exception';
import { BackupTargets } from '../../backup-target.service';
import { TakeBackupCommand } from './take-backup.command';

/** The users and passwords inside a backup's data (sealed on the backup row), which a restore takes over. */
export interface BackupCredentials {
  username: string;
  dbName: string;
  password: string;
  adminPassword: string | null;
}

/** Starts a backup (manual from the API, scheduled from the worker): the row, its operation, its job. */
@Injectable()
export class TakeBackupUseCase {
  private readonly logger = new Logger(TakeBackupUseCase.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    private readonly targets: BackupTargets,
  ) {}

  async execute(cmd: TakeBackupCommand): Promise<{ backup: BackupEntity; operation: OperationEntity }> {
    const db = await this.databases.getForTenant(cmd.databaseId, cmd.tenantId);
    if (!db) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
    return this.start(db, 'manual');
  }

  async start(db: DatabaseEntity, kind: BackupKind): Promise<{ backup: BackupEntity; operation: OperationEntity }> {
    if (db.status !== 'running')
      throw new BackupException(
        BackupExceptionCode.BadState,
        `only a running database can be backed up; this one is ${db.status}`,
      );
    const secrets = await this.databases.getSecrets(db.id);
    const creds: BackupCredentials = {
      username: db.username,
      dbName: db.dbName,
      password: this.secrets.open(secrets.password!),
      adminPassword: secrets.adminPassword ? this.secrets.open(secrets.adminPassword) : null,
    };
    const { description: target, shared } = await this.targets.choose(db);
    const res = await this.backups.start(
      {
        tenantId: db.tenantId,
        databaseId: db.id,
        databaseName: db.name,
        engine: db.engine,
        version: db.version,
        kind,
        method: 'pending',
        target,
        credentials: this.secrets.seal(JSON.stringify(creds)),
      },
      (backupId) => this.targets.archivePath(target, db.tenantId, db.id, backupId),
    );
    if ('busy' in res)
      throw new BackupException(
        BackupExceptionCode.Busy,
        `operation ${res.busy.id} (${res.busy.type}) is still ${res.busy.status} on this database; retry when it ends`,
      );
    await this.events.record({
      type: 'operation.backup-database',
      message: `${kind} backup requested, to ${target}`,
      tenantId: db.tenantId,
      databaseId: db.id,
      operationId: res.operation.id,
    });
    // Every target shares the database's failure domain: the backup is still taken, and the operator told.
    if (shared)
      await this.events.record({
        type: 'backup.same-failure-domain',
        message: `backup ${res.backup.id} goes to ${target}, which shares a failure domain with the database: ${shared}; add a target elsewhere to BACKUP_TARGET`,
        tenantId: db.tenantId,
        databaseId: db.id,
        operationId: res.operation.id,
      });
    await enqueueOrDefer(this.jobs, this.logger, {
      name: JobName.BackupDatabase,
      data: { operationId: res.operation.id, databaseId: db.id },
    });
    return res;
  }
}
