import { Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { BackupException, BackupExceptionCode } from '../../../backups/backup.exception';
import { purgeRefusal } from '../../../backups/purge-confirmation';
import { DatabaseOperationStarter } from '../../database-operation-starter';

export interface DeleteOptions {
  /** Remove its backups now instead of keeping them for the retention period: needs `confirm`. */
  purgeBackups?: boolean;
  /** The database's name, typed back. */
  confirm?: string;
}

@Injectable()
export class DeleteDatabaseUseCase {
  constructor(private readonly starter: DatabaseOperationStarter) {}

  /** Deletion supersedes whatever is in flight: the running job sees `deleting` and stops at its next step. */
  // Its backups are kept for the plan's retention period, unless a confirmed purge is asked for.
  async execute(tenantId: string | null, databaseId: string, opts: DeleteOptions = {}): Promise<OperationEntity> {
    if (opts.purgeBackups) {
      const db = await this.starter.findOwned(tenantId, databaseId);
      const refused = purgeRefusal(db.name, opts.confirm);
      if (refused) throw new BackupException(BackupExceptionCode.PurgeNotConfirmed, refused);
    }
    return this.starter.start({
      tenantId,
      databaseId,
      type: 'delete-database',
      params: { keepBackups: !opts.purgeBackups },
      status: 'deleting',
      supersede: true,
      job: (operationId) => ({ name: JobName.DeleteDatabase, data: { operationId, databaseId } }),
    });
  }
}
