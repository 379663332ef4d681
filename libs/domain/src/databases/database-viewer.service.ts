import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity } from '@app/persistence/entities';
import {
  HOST_REPOSITORY,
  HostRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { DatabaseView, toDatabaseView } from './database.view';

/** Renders databases with their plan names and endpoints (plans and hosts are small tables, read whole). */
@Injectable()
export class DatabaseViewer {
  constructor(
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
  ) {}

  async render(dbs: DatabaseEntity[]): Promise<DatabaseView[]> {
    const [plans, hosts, volumes] = await Promise.all([
      this.plans.list(),
      this.hosts.list(),
      this.volumes.forDatabases(dbs.map((d) => d.id)),
    ]);
    const planById = new Map(plans.map((p) => [p.id, p]));
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const volumeByDb = new Map(volumes.map((v) => [v.databaseId, v]));
    return dbs.map((db) =>
      toDatabaseView(
        db,
        planById.get(db.planId),
        db.hostId ? hostById.get(db.hostId) : undefined,
        volumeByDb.get(db.id),
      ),
    );
  }
}
