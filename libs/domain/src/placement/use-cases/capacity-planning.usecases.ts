import { Inject, Injectable } from '@nestjs/common';
import { DATABASE_REPOSITORY, DatabaseRepository } from '../../ports';
import { MoveDatabaseCommand } from '../../databases/use-cases/move-database/move-database.command';
import { MoveDatabaseUseCase } from '../../databases/use-cases/move-database/move-database.usecase';
import { DomainException } from '../../errors';
import { FleetReader } from '../fleet-reader.service';
import { nPlusOne } from '../n-plus-one';
import { hostLoads, proposeRebalance } from '../rebalance';
import { ApplyRebalanceCommand } from './apply-rebalance.command';

export interface HostLossView {
  hostId: string;
  name: string;
  databases: number;
  fits: boolean;
  placements: { databaseId: string; database: string; to: string | null; toName: string | null; reason?: string }[];
}

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

/** Capacity planning for operators: N+1 (could the fleet lose any one host?) and hotspot rebalancing. */
@Injectable()
export class CapacityPlanningUseCases {
  constructor(
    private readonly reader: FleetReader,
    private readonly mover: MoveDatabaseUseCase,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
  ) {}

  async nPlusOne(): Promise<HostLossView[]> {
    const { fleet, hosts, overcommit } = await this.reader.read();
    const names = await this.databaseNames();
    return nPlusOne(fleet, overcommit).map((l) => ({
      hostId: l.hostId,
      name: l.name,
      databases: l.databases,
      fits: l.fits,
      placements: l.placements.map((p) => ({
        databaseId: p.databaseId,
        database: names.get(p.databaseId) ?? p.databaseId,
        to: p.to,
        toName: p.to ? (hosts.get(p.to)?.name ?? null) : null,
        ...(p.reason ? { reason: p.reason } : {}),
      })),
    }));
  }

  async proposeRebalance(): Promise<RebalanceProposalView> {
    const [{ fleet, hosts, overcommit, thresholds }, { byDatabase: measured, oldest }, names] = await Promise.all([
      this.reader.read(),
      this.reader.measured(),
      this.databaseNames(),
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

  /** Starts the accepted moves (each a normal move operation, checked again against the fleet as it is now). */
  async applyRebalance(cmd: ApplyRebalanceCommand, actor: string) {
    const started: { databaseId: string; operationId: string }[] = [];
    const refused: { databaseId: string; reason: string }[] = [];
    for (const m of cmd.moves) {
      try {
        const op = await this.mover.execute(
          MoveDatabaseCommand.create({ databaseId: m.databaseId, targetHostId: m.targetHostId }),
          actor,
        );
        started.push({ databaseId: m.databaseId, operationId: op.id });
      } catch (err) {
        // One refused move (the database is busy, the target filled up) does not stop the others.
        if (!(err instanceof DomainException)) throw err;
        refused.push({ databaseId: m.databaseId, reason: err.message });
      }
    }
    return { started, refused };
  }

  private async databaseNames(): Promise<Map<string, string>> {
    return new Map((await this.databases.list({})).map((d) => [d.id, d.name]));
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
