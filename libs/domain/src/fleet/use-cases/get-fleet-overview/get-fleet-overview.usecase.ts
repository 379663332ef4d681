import { Inject, Injectable } from '@nestjs/common';
import type { HostStatus } from '@app/persistence/entities';
import {
  EVENT_REPOSITORY,
  EventRepository,
  FLEET_QUERIES,
  FleetQueries,
  HOST_REPOSITORY,
  HostRepository,
} from '../../../ports';
import { FleetAlarm, readFleetAlarm } from '../../../failover/fleet-alarm';
import { HostChecks, hostChecks } from '../../../hosts/host-checks';

export interface Gauge {
  used: number;
  allocatable: number;
}

export interface HostCapacityView {
  hostId: string;
  name: string;
  status: HostStatus;
  /** SSH and Docker as last checked; `unknown` for a host never reached or not checked yet. */
  checks: HostChecks;
  databases: number;
  cpus: Gauge;
  memoryMb: Gauge;
  diskGb: Gauge;
}

export interface FleetOverview {
  generatedAt: string;
  hosts: { total: number; byStatus: Record<HostStatus, number> };
  databases: { total: number; byStatus: Record<string, number> };
  failovers24h: { total: number; byStatus: Record<string, number> };
  operations: { queued: number; running: number; failed24h: number };
  capacity: HostCapacityView[];
  /** The failover worker's brake: automatic fencing stopped, operators decide host by host. */
  alarm: FleetAlarm;
}

const DAY_MS = 24 * 3600_000;
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** The console's first page: what is healthy and where capacity is, in one read. */
@Injectable()
export class GetFleetOverviewUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(now = new Date()): Promise<FleetOverview> {
    const since = new Date(now.getTime() - DAY_MS);
    const [hosts, usage, databases, failovers, operations] = await Promise.all([
      this.hosts.list(),
      this.hosts.usage(),
      this.fleet.databasesByStatus(),
      this.fleet.failoversByStatusSince(since),
      this.fleet.operationCounts(since),
    ]);
    const byStatus: Record<HostStatus, number> = { active: 0, draining: 0, down: 0, fenced: 0 };
    for (const h of hosts) byStatus[h.status]++;
    const used = new Map(usage.map((u) => [u.hostId, u]));
    const alarm = await readFleetAlarm(this.events, hosts);
    return {
      alarm,
      generatedAt: now.toISOString(),
      hosts: { total: hosts.length, byStatus },
      databases: { total: sum(databases), byStatus: databases },
      failovers24h: { total: sum(failovers), byStatus: failovers },
      operations: { queued: operations.queued, running: operations.running, failed24h: operations.failedSince },
      capacity: hosts.map((h) => {
        const u = used.get(h.id);
        return {
          hostId: h.id,
          name: h.name,
          status: h.status,
          checks: hostChecks(h),
          databases: u?.databases ?? 0,
          // What the plans of its databases promise, against what the host offers (placement's own measure).
          cpus: { used: u?.cpus ?? 0, allocatable: h.capacity.cpus },
          memoryMb: { used: u?.memoryMb ?? 0, allocatable: h.capacity.memoryMb },
          diskGb: { used: u?.diskGb ?? 0, allocatable: h.capacity.diskGb },
        };
      }),
    };
  }
}
