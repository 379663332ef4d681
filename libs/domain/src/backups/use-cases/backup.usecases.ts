import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobName, JobQueue } from '@app/jobs';
import type { BackupEntity, BackupKind, DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { DatabaseException, DatabaseExceptionCode } from '../../databases/database.exception';
import { CreateDatabaseUseCase } from '../../databases/use-cases/create-database/create-database.usecase';
import { enqueueOrDefer } from '../../operations/enqueue-or-defer';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../ports';
import { BackupException, BackupExceptionCode } from '../backup.exception';
import { BackupTargets } from '../backup-target.service';
import { purgeRefusal } from '../purge-confirmation';
import { BackupRefCommand, RestoreBackupCommand, TakeBackupCommand } from './backup.commands';

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

@Injectable()
export class ListBackupsUseCase {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
  ) {}

  /** A database's backups (tenant view): 404 for another tenant's database. */
  async forDatabase(tenantId: string, databaseId: string): Promise<BackupEntity[]> {
    const db = await this.databases.getForTenant(databaseId, tenantId);
    if (!db) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
    return this.backups.list({ tenantId, databaseId, limit: 500 });
  }

  /** Every backup of the tenant, those of deleted databases included (kept for the retention period). */
  forTenant(tenantId: string): Promise<BackupEntity[]> {
    return this.backups.list({ tenantId, limit: 500 });
  }

  all(filter: { databaseId?: string; tenantId?: string }): Promise<BackupEntity[]> {
    return this.backups.list({ ...filter, limit: 500 });
  }

  async get(cmd: BackupRefCommand): Promise<BackupEntity> {
    return findBackup(this.backups, cmd);
  }
}

async function findBackup(backups: BackupRepository, cmd: BackupRefCommand): Promise<BackupEntity> {
  const b = await backups.getForTenant(cmd.backupId, cmd.tenantId);
  if (!b || (cmd.databaseId && b.databaseId !== cmd.databaseId))
    throw new BackupException(BackupExceptionCode.NotFound, 'backup not found');
  return b;
}

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

  /** An operator's restore, into the backup's own tenant (a deleted database's backup included). */
  async asOperator(
    backupId: string,
    body: Pick<RestoreBackupCommand, 'name' | 'plan' | 'ha'>,
  ): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const b = await this.backups.get(backupId);
    if (!b || b.deletedAt) throw new BackupException(BackupExceptionCode.NotFound, 'backup not found');
    return this.execute(RestoreBackupCommand.create({ ...body, tenantId: b.tenantId, backupId }));
  }

  private async planName(planId: string): Promise<string | undefined> {
    return (await this.plans.get(planId))?.name;
  }
}

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

  async execute(cmd: BackupRefCommand, confirm: string | undefined, actor: string): Promise<void> {
    await this.purge(await findBackup(this.backups, cmd), confirm, actor);
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
