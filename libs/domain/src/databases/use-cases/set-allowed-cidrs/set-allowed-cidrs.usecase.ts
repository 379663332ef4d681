import { Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { SetAllowedCidrsCommand } from './set-allowed-cidrs.command';

/**
 * Replaces a database's IP allow-list: the row holds the new list from the moment the operation is accepted (one
 * transaction: a refused request changes nothing), and the job puts it on the host without touching the container.
 * Any later start applies the row's list too, so a start that overtakes the job never brings back the old one.
 */
@Injectable()
export class SetAllowedCidrsUseCase {
  constructor(private readonly starter: DatabaseOperationStarter) {}

  execute(cmd: SetAllowedCidrsCommand): Promise<OperationEntity> {
    return this.starter.start({
      tenantId: cmd.tenantId ?? null,
      databaseId: cmd.databaseId,
      type: 'update-allowed-cidrs',
      // The rules live on the host, not in the container: a stopped or failed database keeps its list too.
      allowedFrom: ['running', 'stopped', 'error'],
      params: { allowedCidrs: cmd.allowedCidrs },
      patch: { allowedCidrs: cmd.allowedCidrs },
      job: (operationId) => ({
        name: JobName.UpdateAllowedCidrs,
        data: { operationId, databaseId: cmd.databaseId },
      }),
    });
  }
}
