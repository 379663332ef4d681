import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseEntity, HostEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FLEET_QUERIES,
  FleetQueries,
  HOST_REPOSITORY,
  HostRepository,
  OPERATION_REPOSITORY,
  OperationRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../../../ports';
import { OperationView, toOperationView } from '../../../operations/operation.view';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseView } from '../../database.view';
import { DatabaseViewer } from '../../database-viewer.service';
import { DatabaseFilter } from '../list-databases/list-databases.usecase';

/** A database as an operator sees it: whose it is and where it runs. */
export type FleetDatabaseView = DatabaseView & {
  tenantId: string;
  tenantName: string | null;
  hostId: string | null;
  hostName: string | null;
};

export interface VolumePlacementView {
  id: string;
  hostId: string;
  hostName: string | null;
  driver: string;
  /** `replica`: a DRBD mirror on the peer host; `incoming`: a move's copy not yet cut over. */
  role: 'primary' | 'replica' | 'incoming';
  sizeGb: number;
  usedBytes: number | null;
  path: string | null;
  lunId: string | null;
  mirrorState: string | null;
}

export type DatabaseInspection = FleetDatabaseView & {
  volumes: VolumePlacementView[];
  operations: OperationView[];
  events: { type: string; message: string; createdAt: string }[];
};

/** The operator's view of databases across tenants: list with filters, and one in depth. */
@Injectable()
export class InspectDatabasesUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    private readonly viewer: DatabaseViewer,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
  ) {}

  async list(filter: DatabaseFilter): Promise<FleetDatabaseView[]> {
    const [dbs, hosts] = await Promise.all([this.databases.list(filter), this.hosts.list()]);
    return this.withOwners(dbs, hosts);
  }

  async get(id: string): Promise<DatabaseInspection> {
    const db = await this.starter.findOwned(null, id);
    const hosts = await this.hosts.list();
    const [[view], volumes, operations, events] = await Promise.all([
      this.withOwners([db], hosts),
      this.volumes.forDatabases([db.id]),
      this.operations.list({ databaseId: db.id, limit: 20 }),
      this.events.list({ databaseId: db.id, limit: 50 }),
    ]);
    const name = new Map(hosts.map((h) => [h.id, h.name]));
    const placements: VolumePlacementView[] = volumes.flatMap((v) => {
      const base = {
        id: v.id,
        driver: v.driver,
        sizeGb: v.sizeGb,
        usedBytes: v.usedBytes,
        path: v.path,
        lunId: v.lunId,
        mirrorState: v.mirrorState ?? null,
      };
      const own = { ...base, hostId: v.hostId, hostName: name.get(v.hostId) ?? null };
      const primary: VolumePlacementView = { ...own, role: v.incoming ? 'incoming' : 'primary' };
      return v.peerHostId
        ? [primary, { ...base, hostId: v.peerHostId, hostName: name.get(v.peerHostId) ?? null, role: 'replica' }]
        : [primary];
    });
    return {
      ...view,
      volumes: placements,
      operations: operations.map(toOperationView),
      events: events.map((e) => ({ type: e.type, message: e.message, createdAt: e.createdAt.toISOString() })),
    };
  }

  private async withOwners(dbs: DatabaseEntity[], hosts: HostEntity[]): Promise<FleetDatabaseView[]> {
    const [views, tenants] = await Promise.all([
      this.viewer.render(dbs),
      this.fleet.tenantNames([...new Set(dbs.map((d) => d.tenantId))]),
    ]);
    const hostName = new Map(hosts.map((h) => [h.id, h.name]));
    return views.map((v, i) => ({
      ...v,
      tenantId: dbs[i].tenantId,
      tenantName: tenants.get(dbs[i].tenantId) ?? null,
      hostId: dbs[i].hostId,
      hostName: dbs[i].hostId ? (hostName.get(dbs[i].hostId!) ?? null) : null,
    }));
  }
}
