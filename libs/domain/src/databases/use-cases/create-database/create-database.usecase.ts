import { Inject, Injectable, Logger } from '@nestjs/common';
import { generatePassword } from '@app/security';
import { CommonEnv, ENV, portRange } from '@app/config';
import { JOB_QUEUE, JobName, JobQueue } from '@app/jobs';
import type { DatabaseEntity, OperationEntity } from '@app/persistence/entities';
import { ENGINES, identifierFor } from '../../../engines';
import { PlacementService } from '../../../hosts/placement/placement.service';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../../ports';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';
import { CreateDatabaseCommand } from './create-database.command';

@Injectable()
export class CreateDatabaseUseCase {
  private readonly logger = new Logger(CreateDatabaseUseCase.name);

  constructor(
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(ENV) private readonly env: CommonEnv,
    private readonly placement: PlacementService,
  ) {}

  async execute(cmd: CreateDatabaseCommand): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const engine = ENGINES[cmd.engine];
    const version = cmd.version ?? engine.defaultVersion;
    if (!engine.versions.includes(version)) {
      throw new DatabaseException(
        DatabaseExceptionCode.VersionUnsupported,
        `${cmd.engine} version ${version} is not offered; choose one of: ${engine.versions.join(', ')}`,
      );
    }
    const ha = cmd.ha ?? 'none';
    if (ha !== 'none') {
      throw new DatabaseException(
        DatabaseExceptionCode.HaUnavailable,
        `ha "${ha}" needs replicated or SAN storage, which no host of this platform offers yet`,
      );
    }
    const plan = await this.plans.findByName(cmd.plan);
    if (!plan)
      throw new DatabaseException(
        DatabaseExceptionCode.PlanNotFound,
        `plan "${cmd.plan}" does not exist; see GET /v1/plans`,
      );

    const host = await this.placement.choose({ plan, storageDriver: plan.storageDriver ?? undefined });
    if (!host) {
      throw new DatabaseException(
        DatabaseExceptionCode.NoCapacity,
        `no host has room for plan "${plan.name}" right now`,
      );
    }

    const { database, operation } = await this.databases.createWithOperation({
      tenantId: cmd.tenantId,
      name: cmd.name,
      engine: cmd.engine,
      version,
      planId: plan.id,
      ha,
      hostId: host.id,
      username: engine.fixedUsername ?? identifierFor(cmd.name),
      dbName: identifierFor(cmd.name),
      password: this.secrets.seal(generatePassword()),
      adminPassword: engine.needsAdminPassword ? this.secrets.seal(generatePassword()) : null,
      driver: host.storageDriver,
      sizeGb: plan.diskGb,
      portRange: portRange(this.env),
    });
    await this.events.record({
      type: 'database.requested',
      message: `${cmd.engine} ${version} "${cmd.name}" requested on plan ${plan.name}, placed on host ${host.name}`,
      tenantId: cmd.tenantId,
      databaseId: database.id,
      hostId: host.id,
      operationId: operation.id,
    });
    await enqueueOrDefer(this.jobs, this.logger, {
      name: JobName.CreateDatabase,
      data: { operationId: operation.id, databaseId: database.id },
    });
    return { database, operation };
  }
}

/**
 * The operation row is the source of truth; if Redis is briefly unreachable the worker's reconciler
 * enqueues the job later, so the request still succeeds.
 */
export async function enqueueOrDefer(
  jobs: JobQueue,
  logger: Logger,
  item: Parameters<JobQueue['enqueue']>[0],
): Promise<void> {
  try {
    await jobs.enqueue(item);
  } catch (err) {
    logger.warn(
      `enqueue of ${item.name} ${item.data.operationId} deferred to the reconciler: ${(err as Error).message}`,
    );
  }
}
