import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobName } from '@app/jobs';
import { DATABASE_REPOSITORY, DatabaseRepository } from '../../ports';
import { DatabaseOperationStarter } from '../database-operation-starter';

/**
 * Brings databases made under the legacy privilege model (the tenant's account is the engine's superuser) to the
 * owner model: one `convert-privileges` operation per running legacy database, its job retried by the queue. A
 * database busy with another operation is left for the next round; one already converting is busy too, so
 * several worker replicas starting at once start one conversion each at most.
 */
@Injectable()
export class PrivilegeConversions {
  private readonly logger = new Logger(PrivilegeConversions.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    private readonly starter: DatabaseOperationStarter,
  ) {}

  async startAll(): Promise<{ started: number; deferred: number }> {
    let started = 0;
    let deferred = 0;
    for (const db of await this.databases.list({ status: 'running' })) {
      if (db.privilegeModel !== 'legacy') continue;
      try {
        await this.starter.start({
          tenantId: null,
          databaseId: db.id,
          type: 'convert-privileges',
          allowedFrom: ['running'],
          job: (operationId) => ({ name: JobName.ConvertPrivileges, data: { operationId, databaseId: db.id } }),
        });
        started++;
      } catch (err) {
        deferred++;
        this.logger.debug(`privilege conversion of ${db.id} deferred: ${(err as Error).message}`);
      }
    }
    return { started, deferred };
  }
}
