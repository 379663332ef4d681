import { Inject, Injectable } from '@nestjs/common';
import { OPERATION_REPOSITORY, OperationRepository } from '../../../ports';
import { OperationNotFound } from '../../operation.exception';
import { OperationView, toOperationView } from '../../operation.view';

/** One operation: a tenant's own (`tenantId`), or any for an operator (null). */
@Injectable()
export class GetOperationUseCase {
  constructor(@Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository) {}

  async execute(id: string, tenantId: string | null): Promise<OperationView> {
    const op = tenantId ? await this.operations.getForTenant(id, tenantId) : await this.operations.get(id);
    if (!op) throw new OperationNotFound();
    return toOperationView(op);
  }
}
