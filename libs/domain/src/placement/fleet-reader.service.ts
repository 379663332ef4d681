import { Inject, Injectable } from '@nestjs/common';
import type { HostEntity } from '@app/persistence/entities';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_REPOSITORY,
  HostRepository,
  PLACEMENT_SETTINGS_REPOSITORY,
  PLAN_REPOSITORY,
  PlacementSettingsRepository,
  PlanRepository,
  SAMPLE_REPOSITORY,
  SampleRepository,
  VOLUME_REPOSITORY,
  VolumeRepository,
} from '../ports';
import { overcommitOf, type Fleet, type Measured, type Overcommit } from './fleet';
import type { HotspotThresholds } from './rebalance';

export interface FleetSnapshot {
  fleet: Fleet;
  hosts: Map<string, HostEntity>;
  overcommit: Overcommit;
  thresholds: HotspotThresholds;
}

/** The fleet as the placement logic wants it, read from the metadata in one go (hosts, plans, databases). */
@Injectable()
export class FleetReader {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(PLACEMENT_SETTINGS_REPOSITORY) private readonly settings: PlacementSettingsRepository,
    @Inject(SAMPLE_REPOSITORY) private readonly samples: SampleRepository,
  ) {}

  async read(): Promise<FleetSnapshot> {
    const [hosts, dbs, plans, volumes, settings, reservations] = await Promise.all([
      this.hosts.list(),
      this.databases.list({}),
      this.plans.list(),
      this.volumes.listLive(),
      this.settings.get(),
      this.hosts.reservations(),
    ]);
    const plan = new Map(plans.map((p) => [p.id, p]));
    const demandOf = (planId: string) => {
      const p = plan.get(planId);
      return { cpus: p?.cpus ?? 0, memoryMb: p?.memoryMb ?? 0, diskGb: p?.diskGb ?? 0 };
    };
    // A move's incoming copy is not the database's yet: the DRBD peer comes from its current volume.
    const peer = new Map(volumes.filter((v) => !v.incoming).map((v) => [v.databaseId, v.peerHostId]));
    return {
      fleet: {
        hosts: hosts.map((h) => ({
          id: h.id,
          name: h.name,
          status: h.status,
          labels: h.labels,
          capacity: h.capacity,
          storageDriver: h.storageDriver,
        })),
        databases: dbs
          .filter((d) => d.hostId && d.status !== 'deleted')
          .map((d) => ({
            id: d.id,
            tenantId: d.tenantId,
            hostId: d.hostId!,
            peerHostId: peer.get(d.id) ?? null,
            demand: demandOf(d.planId),
            ha: d.ha,
          })),
        reserved: reservations.map((r) => ({ databaseId: r.databaseId, hostId: r.hostId, demand: demandOf(r.planId) })),
      },
      hosts: new Map(hosts.map((h) => [h.id, h])),
      overcommit: overcommitOf(settings),
      thresholds: { cpu: settings.hotspotCpu, memory: settings.hotspotMemory },
    };
  }

  /**
   * What each database really uses, from the worker's latest container samples, and when the oldest of them
   * was taken (how stale the rebalancer's view can be).
   */
  async measured(): Promise<{ byDatabase: Map<string, Measured>; oldest: Date | null }> {
    const rows = await this.samples.list();
    return {
      byDatabase: new Map(rows.map((s) => [s.databaseId, { cpuCores: s.cpuCores, memoryMb: s.memoryBytes / 2 ** 20 }])),
      oldest: rows.length ? new Date(Math.min(...rows.map((r) => r.sampledAt.getTime()))) : null,
    };
  }
}
