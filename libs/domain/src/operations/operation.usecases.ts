import { Inject, Injectable } from '@nestjs/common';
import type { OperationEntity, OperationStatus, TransferProgress } from '@app/persistence/entities';
import { DomainException, ErrorKind } from '../errors';
import { OPERATION_REPOSITORY, OperationRepository } from '../ports';

export class OperationNotFound extends DomainException<'operation-not-found'> {
  readonly kind = ErrorKind.NotFound;
  constructor() {
    super('operation-not-found', 'operation not found');
  }
}

export interface OperationView {
  id: string;
  type: string;
  status: OperationStatus;
  databaseId: string | null;
  progress: number;
  progressMessage: string | null;
  /** Bulk copies (clone, move, backup, restore): bytes and files done out of the total. */
  transfer: TransferProgress | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const toOperationView = (o: OperationEntity): OperationView => ({
  id: o.id,
  type: o.type,
  status: o.status,
  databaseId: o.databaseId,
  progress: o.progress,
  progressMessage: o.progressMessage,
  transfer: o.transfer ?? null,
  error: o.error,
  attempts: o.attempts,
  createdAt: o.createdAt.toISOString(),
  startedAt: o.startedAt?.toISOString() ?? null,
  finishedAt: o.finishedAt?.toISOString() ?? null,
});

@Injectable()
export class OperationUseCases {
  constructor(@Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository) {}

  async get(id: string, tenantId: string | null): Promise<OperationView> {
    const op = tenantId ? await this.operations.getForTenant(id, tenantId) : await this.operations.get(id);
    if (!op) throw new OperationNotFound();
    return toOperationView(op);
  }

  async list(filter: { status?: OperationStatus; databaseId?: string; limit?: number }): Promise<OperationView[]> {
    return (await this.operations.list({ ...filter, limit: filter.limit ?? 100 })).map(toOperationView);
  }
}
