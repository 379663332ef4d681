import { Inject, Injectable } from '@nestjs/common';
import type { OperationStatus } from '@app/persistence/entities';
import { OPERATION_REPOSITORY, OperationRepository } from '../../../ports';
import { OperationView, toOperationView } from '../../operation.view';

@Injectable()
export class ListOperationsUseCase {
  constructor(@Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository) {}

  async execute(filter: { status?: OperationStatus; databaseId?: string; limit?: number }): Promise<OperationView[]> {
    return (await this.operations.list({ ...filter, limit: filter.limit ?? 100 })).map(toOperationView);
  }
}
