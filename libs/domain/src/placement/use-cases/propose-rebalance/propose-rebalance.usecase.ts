import { Inject, Injectable } from '@nestjs/common';
import { DATABASE_REPOSITORY, DatabaseRepository } from '../../../ports';
import { FleetReader } from '../../fleet-reader.service';
import { hostLoads, proposeRebalance } from '../../rebalance';
import { databaseNames } from '../database-names';

export interface RebalanceProposalView {
  thresholds: { cpu: number; memory: number };
  /** Measured load of every host (fractions of its capacity), hotspots flagged. */
  hosts: { hostId: string; name: string; cpu: number; memory: number; hotspot: boolean }[];
  moves: {
    databaseId: string;
    database: string;
    from: string;
    fromName: string;
    to: string;
    toName: string;
    reason: string;
  }[];
  unresolved: { hostId: string; name: string; reason: string }[];
  /** When the oldest measurement used was taken (null: nothing measured yet). */
  measuredSince: string | null;
}

/** Hotspots from measured use, and the fewest moves that relieve them (nothing is moved). */
@Injectable()
export class ProposeRebalanceUseCase {
  constructor(
    private readonly reader: FleetReader,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
  ) {}

  async execute(): Promise<RebalanceProposalView> {
    const [{ fleet, hosts, overcommit, thresholds }, { byDatabase: measured, oldest }, names] = await Promise.all([
      this.reader.read(),
      this.reader.measured(),
      databaseNames(this.databases),
    ]);
    const plan = proposeRebalance(fleet, measured, thresholds, overcommit);
    const loads = hostLoads(fleet, measured);
    const hot = new Set(plan.hotspots.map((h) => h.hostId));
    const name = (id: string) => hosts.get(id)?.name ?? id;
    return {
      thresholds: { cpu: thresholds.cpu, memory: thresholds.memory },
      hosts: [...loads.values()].map((l) => ({
        hostId: l.hostId,
        name: name(l.hostId),
        cpu: round(l.cpu),
        memory: round(l.memory),
        hotspot: hot.has(l.hostId),
      })),
      moves: plan.moves.map((m) => ({
        databaseId: m.databaseId,
        database: names.get(m.databaseId) ?? m.databaseId,
        from: m.from,
        fromName: name(m.from),
        to: m.to,
        toName: name(m.to),
        reason: m.reason,
      })),
      unresolved: plan.unresolved.map((u) => ({ ...u, name: name(u.hostId) })),
      measuredSince: oldest?.toISOString() ?? null,
    };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
