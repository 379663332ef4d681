import type { OperationEntity, OperationStatus, TransferProgress } from '@app/persistence/entities';

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
