import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, JobItem, JobQueue } from '@app/jobs';
import type { DatabaseEntity, DatabaseStatus, OperationEntity, OperationType } from '@app/persistence/entities';
import { DATABASE_REPOSITORY, DatabaseRepository, EVENT_REPOSITORY, EventRepository } from '../ports';
import { enqueueOrDefer } from '../operations/enqueue-or-defer';
import { DatabaseException, DatabaseExceptionCode } from './database.exception';

export interface StartRequest {
  tenantId: string | null; // null: an operator acting across tenants
  databaseId: string;
  type: OperationType;
  job: (operationId: string) => JobItem;
  status?: DatabaseStatus;
  allowedFrom?: DatabaseStatus[];
  supersede?: boolean;
  params?: Record<string, unknown>;
  /** Written to the database's row with the operation (nothing is written when it is refused). */
  patch?: Pick<Partial<DatabaseEntity>, 'allowedCidrs'>;
}

/** The common path of every state change on an existing database: check, record an operation, queue its job. */
@Injectable()
export class DatabaseOperationStarter {
  private readonly logger = new Logger(DatabaseOperationStarter.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {}

  async findOwned(tenantId: string | null, databaseId: string): Promise<DatabaseEntity> {
    const db = tenantId
      ? await this.databases.getForTenant(databaseId, tenantId)
      : await this.databases.get(databaseId);
    // Another tenant's database is indistinguishable from one that does not exist.
    if (!db || db.status === 'deleted')
      throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
    return db;
  }

  async start(req: StartRequest): Promise<OperationEntity> {
    const db = await this.findOwned(req.tenantId, req.databaseId);
    const res = await this.databases.startOperation(db.id, req.type, {
      status: req.status,
      params: req.params,
      supersede: req.supersede,
      allowedFrom: req.allowedFrom,
      patch: req.patch,
    });
    if ('busy' in res) {
      throw new DatabaseException(
        DatabaseExceptionCode.Busy,
        `operation ${res.busy.id} (${res.busy.type}) is still ${res.busy.status} on this database; retry when it ends`,
      );
    }
    if ('badState' in res) {
      throw new DatabaseException(
        DatabaseExceptionCode.InvalidState,
        `cannot ${req.type} a database that is ${res.badState}`,
      );
    }
    await this.events.record({
      type: `operation.${req.type}`,
      message: `${req.type} requested`,
      tenantId: db.tenantId,
      databaseId: db.id,
      operationId: res.operation.id,
    });
    await enqueueOrDefer(this.jobs, this.logger, req.job(res.operation.id));
    return res.operation;
  }
}
