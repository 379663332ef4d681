import type { HostLossView, PlacementSettingsView, RebalanceProposalView } from '@app/domain';

export class PlacementSettings implements PlacementSettingsView {
  /** capacity × ratio is what may be promised, per resource. */
  overcommit: { cpus: number; memoryMb: number; diskGb: number };
  /** Measured use (fraction of capacity) above which a host is a hotspot. */
  hotspot: { cpu: number; memory: number };
  updatedBy: string | null;
  updatedAt: string;
}

export class LossPlacement {
  databaseId: string;
  database: string;
  /** Where it would run; null when it has no place. */
  to: string | null;
  toName: string | null;
  /** Why it has no place (set only when `to` is null). */
  reason?: string;
}

/** One host's loss, simulated: where each of its databases would go. */
export class HostLoss implements HostLossView {
  hostId: string;
  name: string;
  databases: number;
  fits: boolean;
  placements: LossPlacement[];
}

export class HostLoad {
  hostId: string;
  name: string;
  cpu: number;
  memory: number;
  hotspot: boolean;
}

export class ProposedMove {
  databaseId: string;
  database: string;
  from: string;
  fromName: string;
  to: string;
  toName: string;
  reason: string;
}

export class UnresolvedHotspot {
  hostId: string;
  name: string;
  reason: string;
}

/** Hotspots from measured use, and the fewest moves that relieve them. */
export class RebalanceProposal implements RebalanceProposalView {
  thresholds: { cpu: number; memory: number };
  hosts: HostLoad[];
  moves: ProposedMove[];
  unresolved: UnresolvedHotspot[];
  /** When the oldest measurement used was taken (null: nothing measured yet). */
  measuredSince: string | null;
}

export class StartedMove {
  databaseId: string;
  operationId: string;
}

export class RefusedMove {
  databaseId: string;
  reason: string;
}

export class RebalanceResult {
  started: StartedMove[];
  refused: RefusedMove[];
}
