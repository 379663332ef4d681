import { Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { DatabaseOperationStarter } from '../../database-operation-starter';

@Injectable()
export class RestartDatabaseUseCase {
  constructor(private readonly starter: DatabaseOperationStarter) {}

  execute(tenantId: string | null, databaseId: string): Promise<OperationEntity> {
    return this.starter.start({
      tenantId,
      databaseId,
      type: 'restart-database',
      allowedFrom: ['running', 'error', 'stopped'],
      job: (operationId) => ({ name: JobName.RestartDatabase, data: { operationId, databaseId } }),
    });
  }
}
