import { Inject, Injectable } from '@nestjs/common';
import { OperationContext } from '../../operations/operation-context';
import { DATABASE_REPOSITORY, DatabaseRepository, EVENT_REPOSITORY, EventRepository } from '../../ports';
import { DatabaseRuntime } from '../runtime/database-runtime.service';

/** How a database job ends: the database running again with its event, or, once retries are spent, failed. */
@Injectable()
export class DatabaseJobOutcome {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  /** The job succeeded: the database is running again, with its event and the operation at 100 %. */
  async finish(databaseId: string, status: 'running', type: string, message: string, op: OperationContext) {
    const db = await this.dbRuntime.assertLive(databaseId);
    await this.databases.update(databaseId, { status });
    await this.events.record({
      type,
      message,
      tenantId: db.tenantId,
      databaseId,
      operationId: op.operationId,
    });
    await op.progress(100, message);
  }

  /** What the database becomes when its operation has no retries left. */
  async markFailed(databaseId: string, type: string, message: string): Promise<void> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleted') return;
    if (['create-database', 'delete-database', 'restart-database'].includes(type)) {
      await this.databases.update(databaseId, { status: 'error' });
    }
    await this.events.record({
      type: 'operation.failed',
      message: `${type}: ${message}`,
      tenantId: db.tenantId,
      databaseId,
    });
  }
}
