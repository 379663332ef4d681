import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity } from '@app/persistence/entities';
import { HOST_REPOSITORY, HostRepository, PLAN_REPOSITORY, PlanRepository } from '../../../ports';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseView, toDatabaseView } from '../../database.view';

/** Renders databases with their plan names and endpoints (plans and hosts are small tables, read whole). */
@Injectable()
export class DatabaseViewer {
  constructor(
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
  ) {}

  async render(dbs: DatabaseEntity[]): Promise<DatabaseView[]> {
    const [plans, hosts] = await Promise.all([this.plans.list(), this.hosts.list()]);
    const planById = new Map(plans.map((p) => [p.id, p]));
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    return dbs.map((db) =>
      toDatabaseView(db, planById.get(db.planId), db.hostId ? hostById.get(db.hostId) : undefined),
    );
  }
}

@Injectable()
export class GetDatabaseUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    private readonly viewer: DatabaseViewer,
  ) {}

  async execute(tenantId: string | null, databaseId: string): Promise<DatabaseView> {
    const db = await this.starter.findOwned(tenantId, databaseId);
    const [view] = await this.viewer.render([db]);
    return view;
  }
}
