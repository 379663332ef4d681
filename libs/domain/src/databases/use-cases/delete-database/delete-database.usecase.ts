import { Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { DatabaseOperationStarter } from '../../database-operation-starter';

@Injectable()
export class DeleteDatabaseUseCase {
  constructor(private readonly starter: DatabaseOperationStarter) {}

  /** Deletion supersedes whatever is in flight: the running job sees `deleting` and stops at its next step. */
  // Its backups are kept for the plan's retention period, unless `keepBackups` is false.
  execute(tenantId: string | null, databaseId: string, keepBackups = true): Promise<OperationEntity> {
    return this.starter.start({
      tenantId,
      databaseId,
      type: 'delete-database',
      params: { keepBackups },
      status: 'deleting',
      supersede: true,
      job: (operationId) => ({ name: JobName.DeleteDatabase, data: { operationId, databaseId } }),
    });
  }
}
