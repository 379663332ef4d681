import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { DATABASE_REPOSITORY, DatabaseRepository, PLAN_REPOSITORY, PlanRepository } from '../../../ports';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';
import { CreateDatabaseUseCase } from '../create-database/create-database.usecase';
import { CloneDatabaseCommand } from './clone-database.command';

/**
 * A new database of the same tenant holding a point-in-time copy of a running one (see VolumeCopier for how the
 * copy is made consistent). It gets its own name, port and password; the source keeps running.
 */
@Injectable()
export class CloneDatabaseUseCase {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    private readonly create: CreateDatabaseUseCase,
  ) {}

  async execute(cmd: CloneDatabaseCommand): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const source = await this.databases.getForTenant(cmd.databaseId, cmd.tenantId);
    if (!source) throw new DatabaseException(DatabaseExceptionCode.NotFound, 'database not found');
    if (source.status !== 'running')
      throw new DatabaseException(
        DatabaseExceptionCode.InvalidState,
        `only a running database can be cloned; this one is ${source.status}`,
      );
    const sourcePlan = await this.plans.get(source.planId);
    const plan = cmd.plan ?? sourcePlan?.name;
    if (!plan) throw new DatabaseException(DatabaseExceptionCode.PlanNotFound, 'the source plan no longer exists');
    const chosen = await this.plans.findByName(plan);
    if (chosen && sourcePlan && chosen.diskGb < sourcePlan.diskGb)
      throw new DatabaseException(
        DatabaseExceptionCode.InvalidState,
        `plan "${chosen.name}" has less disk (${chosen.diskGb} GB) than the source's (${sourcePlan.diskGb} GB)`,
      );
    const secrets = await this.databases.getSecrets(source.id);
    if (!secrets.password)
      throw new DatabaseException(DatabaseExceptionCode.InvalidState, 'the source has no credentials');
    return this.create.provision(
      {
        tenantId: cmd.tenantId,
        name: cmd.name,
        engine: source.engine,
        version: source.version,
        plan,
        ha: cmd.ha,
        // A copy of guarded data stays guarded unless the tenant says otherwise.
        allowedCidrs: cmd.allowedCidrs ?? source.allowedCidrs,
      },
      {
        origin: { kind: 'clone', databaseId: source.id, credentials: secrets.password },
        username: source.username,
        dbName: source.dbName,
        adminPassword: secrets.adminPassword,
        operationType: 'clone-database',
        message: `a clone of "${source.name}"`,
      },
    );
  }
}
