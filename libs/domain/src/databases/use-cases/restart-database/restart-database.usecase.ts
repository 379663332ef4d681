import { Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity, TlsMode } from '@app/persistence/entities';
import { DatabaseOperationStarter } from '../../database-operation-starter';

@Injectable()
export class RestartDatabaseUseCase {
  constructor(private readonly starter: DatabaseOperationStarter) {}

  /** `tls`: the database's new TLS mode, taken on by the restart (its server is started again with it). */
  execute(tenantId: string | null, databaseId: string, change: { tls?: TlsMode } = {}): Promise<OperationEntity> {
    return this.starter.start({
      tenantId,
      databaseId,
      type: 'restart-database',
      allowedFrom: ['running', 'error', 'stopped'],
      ...(change.tls ? { params: { tls: change.tls } } : {}),
      job: (operationId) => ({ name: JobName.RestartDatabase, data: { operationId, databaseId } }),
    });
  }
}
