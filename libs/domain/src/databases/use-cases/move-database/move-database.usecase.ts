import { Inject, Injectable } from '@nestjs/common';
import { JobName } from '@app/jobs';
import type { OperationEntity } from '@app/persistence/entities';
import { PLACEMENT_LOCK_KEY, PLACEMENT_LOCK_WAIT_MS, PlacementService } from '../../../placement/placement.service';
import {
  HOST_REPOSITORY,
  HostRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  RESOURCE_LOCK,
  ResourceLock,
} from '../../../ports';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';
import { MoveDatabaseCommand } from './move-database.command';

/** Operator action: move a database (ha none) to another host or storage backend, with a short stop. */
@Injectable()
export class MoveDatabaseUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    private readonly placement: PlacementService,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
  ) {}

  async execute(cmd: MoveDatabaseCommand, actor: string): Promise<OperationEntity> {
    const db = await this.starter.findOwned(null, cmd.databaseId);
    if (db.ha !== 'none')
      throw new DatabaseException(
        DatabaseExceptionCode.NotMovable,
        `an ha "${db.ha}" database moves by switchover: POST /admin/v1/databases/${db.id}/failover`,
      );
    const plan = await this.plans.get(db.planId);
    if (!plan) throw new DatabaseException(DatabaseExceptionCode.PlanNotFound, 'the database has no plan');
    const asked = cmd.targetHostId ? await this.hosts.get(cmd.targetHostId) : null;
    if (cmd.targetHostId && !asked)
      throw new DatabaseException(DatabaseExceptionCode.NotMovable, 'the target host does not exist');
    if (asked?.id === db.hostId)
      throw new DatabaseException(DatabaseExceptionCode.NotMovable, 'the database is already on that host');
    if (asked && asked.status !== 'active')
      throw new DatabaseException(DatabaseExceptionCode.NotMovable, `the target host is ${asked.status}`);
    // The same rules as a new database (room with overcommit, spread), on the asked host or anywhere else. The
    // operation, recorded under the placement lock, holds the room on the target until the move is over.
    return this.lock.withLock(
      PLACEMENT_LOCK_KEY,
      async () => {
        const { host: target } = await this.placement.place({
          tenantId: db.tenantId,
          plan,
          ha: 'none',
          storageDriver: plan.storageDriver ?? undefined,
          accept: (h) => (asked ? h.id === asked.id : h.id !== db.hostId),
        });
        return this.starter.start({
          tenantId: null,
          databaseId: db.id,
          type: 'move-database',
          allowedFrom: ['running'],
          params: { targetHostId: target.id, actor },
          job: (operationId) => ({ name: JobName.MoveDatabase, data: { operationId, databaseId: db.id } }),
        });
      },
      PLACEMENT_LOCK_WAIT_MS,
    );
  }
}
