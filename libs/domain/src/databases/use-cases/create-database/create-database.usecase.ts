import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV, portRange, vipRange } from '@app/config';
import { JOB_QUEUE, JobName, JobQueue } from '@app/jobs';
import type {
  DatabaseEntity,
  DatabaseOrigin,
  HaMode,
  HostEntity,
  OperationEntity,
  OperationType,
  PlanEntity,
} from '@app/persistence/entities';
import { enqueueOrDefer } from '../../../operations/enqueue-or-defer';
import { Admission } from '../../../admission/admission.service';
import { ENGINES, identifierFor } from '../../../engines';
import { PLACEMENT_LOCK_KEY, PLACEMENT_LOCK_WAIT_MS, PlacementService } from '../../../placement/placement.service';
import {
  CRYPTOGRAPHY,
  Cryptography,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  RESOURCE_LOCK,
  ResourceLock,
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
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly admission: Admission,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async execute(cmd: CreateDatabaseCommand): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    return this.provision(cmd);
  }

  /**
   * Creation proper. Clones and restores come through here too, with their origin: the same engine and version
   * as their data, and the users found in it (only the password is new).
   */
  async provision(
    cmd: CreateDatabaseCommand,
    from?: {
      origin: DatabaseOrigin;
      username: string;
      dbName: string;
      adminPassword: string | null; // sealed
      operationType: OperationType;
      message: string;
    },
  ): Promise<{ database: DatabaseEntity; operation: OperationEntity }> {
    const engine = ENGINES[cmd.engine];
    const version = cmd.version ?? engine.defaultVersion;
    if (!engine.versions.includes(version)) {
      throw new DatabaseException(
        DatabaseExceptionCode.VersionUnsupported,
        `${cmd.engine} version ${version} is not offered; choose one of: ${engine.versions.join(', ')}`,
      );
    }
    // The tenant's account is named after the database: never the engine's or the platform's own account.
    const username = from?.username ?? engine.fixedUsername ?? identifierFor(cmd.name);
    const reserved =
      engine.reservedUsernames.includes(username) ||
      (engine.reservedUsernamePrefixes ?? []).some((p) => username.startsWith(p));
    if (!from && reserved)
      throw new DatabaseException(
        DatabaseExceptionCode.NameReserved,
        `the name "${cmd.name}" would name the account ${username}, which ${cmd.engine} keeps for itself or the platform; choose another`,
      );
    const ha = cmd.ha ?? 'none';
    const vips = vipRange(this.env);
    if (ha !== 'none' && !vips) {
      throw new DatabaseException(
        DatabaseExceptionCode.HaUnavailable,
        `ha "${ha}" is not offered: this platform has no floating address range (HA_VIP_RANGE) configured`,
      );
    }
    const plan = await this.plans.findByName(cmd.plan);
    if (!plan)
      throw new DatabaseException(
        DatabaseExceptionCode.PlanNotFound,
        `plan "${cmd.plan}" does not exist; see GET /v1/plans`,
      );
    // What can never start is refused here, before a row, an operation or a job exists (clones and restores too).
    await Promise.all([this.admission.requireImage(cmd.engine, version), this.admission.requirePlan(plan)]);

    // Placement reads the fleet, then the new row takes its room: two requests at once (on any API replica)
    // must not both take the last room on a host, so the two steps run one request at a time.
    const { host, database, operation } = await this.lock.withLock(
      PLACEMENT_LOCK_KEY,
      async () => {
        const { host, peer, driver } = await this.place(cmd.tenantId, ha, plan);
        const created = await this.databases.createWithOperation({
          tenantId: cmd.tenantId,
          name: cmd.name,
          engine: cmd.engine,
          version,
          planId: plan.id,
          ha,
          hostId: host.id,
          username,
          dbName: from?.dbName ?? identifierFor(cmd.name),
          password: this.secrets.seal(this.crypto.generatePassword()),
          // A copy's data holds its source's admin account (none when the source was of the legacy model).
          adminPassword:
            from?.adminPassword ??
            (engine.needsAdminPassword ? this.secrets.seal(this.crypto.generatePassword()) : null),
          // A copy's data may be of the legacy model (a source or backup from before it): its job converts it.
          privilegeModel: from && engine.rotation === 'in-database' ? 'legacy' : 'owner',
          origin: from?.origin ?? null,
          operationType: from?.operationType,
          allowedCidrs: cmd.allowedCidrs ?? [],
          driver,
          sizeGb: plan.diskGb,
          portRange: portRange(this.env),
          vipPool: ha !== 'none' ? vips : null,
          peerHostId: peer?.id ?? null,
          tls: cmd.tls,
        });
        return { host, ...created };
      },
      PLACEMENT_LOCK_WAIT_MS,
    );
    await this.events.record({
      type: 'database.requested',
      message: `${cmd.engine} ${version} "${cmd.name}" requested on plan ${plan.name}, placed on host ${host.name}${from ? `, ${from.message}` : ''}`,
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

  /**
   * ha none: any host the plan's storage driver allows. ha san: a host with SAN storage and a VIP interface (the
   * database gets a LUN of its own, which can move alone). ha drbd: a primary and a peer in different failure
   * domains, both with a replication address, the volume mirrored between them. Packing, overcommit and spread
   * rules: placement/place.ts.
   */
  private async place(
    tenantId: string,
    ha: HaMode,
    plan: PlanEntity,
  ): Promise<{ host: HostEntity; peer: HostEntity | null; driver: string }> {
    if (ha === 'none') {
      const { host } = await this.placement.place({
        tenantId,
        plan,
        ha,
        storageDriver: plan.storageDriver ?? undefined,
      });
      return { host, peer: null, driver: host.storageDriver };
    }
    if (ha === 'san') {
      const { host } = await this.placement.place({
        tenantId,
        plan,
        ha,
        storageDriver: 'san-lvm',
        accept: (h) => !!h.vipInterface,
      });
      return { host, peer: null, driver: 'san-lvm' };
    }
    const replicated = (h: HostEntity) => !!h.replicationAddress && !!h.vipInterface;
    const { host, peer } = await this.placement.place({ tenantId, plan, ha, accept: replicated });
    return { host, peer, driver: 'drbd' };
  }
}
