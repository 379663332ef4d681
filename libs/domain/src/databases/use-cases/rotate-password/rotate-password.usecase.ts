import { Inject, Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { VOLUME_REPOSITORY, VolumeRepository } from '../../../ports';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';

@Injectable()
export class RotatePasswordUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
  ) {}

  async execute(tenantId: string | null, databaseId: string): Promise<OperationEntity> {
    const db = await this.starter.findOwned(tenantId, databaseId);
    // A PostgreSQL made read-only by its quota is a standby: it cannot change a password (a write) until it is
    // writable again. Refused here rather than failing in the worker.
    if (db.engine === 'postgresql' && (await this.volumes.forDatabase(db.id))?.quotaState === 'read-only')
      throw new DatabaseException(
        DatabaseExceptionCode.InvalidState,
        'the database is read-only: its volume is full. Move it to a bigger plan first (POST /v1/databases/:id/resize)',
      );
    return this.starter.start({
      tenantId,
      databaseId,
      type: 'rotate-password',
      allowedFrom: ['running'],
      job: (operationId) => ({ name: JobName.RotatePassword, data: { operationId, databaseId } }),
    });
  }
}
