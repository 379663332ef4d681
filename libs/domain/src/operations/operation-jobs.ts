import { JobItem, JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';

const JOB_FOR: Record<string, JobName> = {
  'create-database': JobName.CreateDatabase,
  'delete-database': JobName.DeleteDatabase,
  'restart-database': JobName.RestartDatabase,
  'rotate-password': JobName.RotatePassword,
  'resize-database': JobName.ResizeDatabase,
  'failover-database': JobName.FailoverDatabase,
  'clone-database': JobName.CreateDatabase,
  'restore-backup': JobName.CreateDatabase,
  'backup-database': JobName.BackupDatabase,
  'move-database': JobName.MoveDatabase,
  'convert-privileges': JobName.ConvertPrivileges,
  'update-allowed-cidrs': JobName.UpdateAllowedCidrs,
};

/** The job that carries out an operation, rebuilt from the operation row (its type, database and params). */
export function jobForOperation(op: Pick<OperationEntity, 'id' | 'type' | 'databaseId' | 'params'>): JobItem | null {
  const name = JOB_FOR[op.type];
  if (!name || !op.databaseId) return null;
  const data = { operationId: op.id, databaseId: op.databaseId };
  return name === JobName.ResizeDatabase
    ? { name, data: { ...data, planId: String(op.params.planId) } }
    : ({ name, data } as JobItem);
}
