import type { FailoverView as DomainFailoverView } from '@app/domain';
import type { FailoverReason, FailoverStatus, HaMode, HostStatus } from '@app/persistence/entities';

export class HostRef {
  id: string;
  name: string;
}

/** When each step happened (ISO times; null: not reached). */
export class FailoverTimeline {
  detectedAt: string;
  fencedAt: string | null;
  storageMovedAt: string | null;
  startedAt: string | null;
  reachableAt: string | null;
}

/** Milliseconds from detection to each step. */
export class FailoverDurations {
  fenced: number | null;
  storageMoved: number | null;
  started: number | null;
  reachable: number | null;
}

export class FailoverView implements DomainFailoverView {
  id: string;
  databaseId: string;
  ha: HaMode;
  reason: FailoverReason;
  status: FailoverStatus;
  fromHost: HostRef | null;
  toHost: HostRef | null;
  actor: string | null;
  /** The operator accepted promoting a DRBD peer that may lack committed writes. */
  acceptDataLoss: boolean;
  error: string | null;
  operationId: string | null;
  timeline: FailoverTimeline;
  durationsMs: FailoverDurations;
  /** Round trips to hosts the takeover made (commands, Docker API requests; not its readiness polls), all attempts. */
  roundTrips: number | null;
  createdAt: string;
}

export class MovedDatabase {
  id: string;
  name: string;
  operationId: string;
}

export class NotMovedDatabase {
  id: string;
  name: string;
  reason: string;
}

/** Drain and evacuate: the failovers started for HA databases, the moves of the others, and what stays. */
export class MoveAwayResult {
  /** The host's name. */
  host: string;
  status: HostStatus;
  /** Ids of the failovers started. */
  failovers: string[];
  moves: MovedDatabase[];
  notMoved: NotMovedDatabase[];
}

/** Whether the fence was confirmed, how, and by what. */
export class FenceOutcome {
  fenced: boolean;
  method: string;
  detail: string;
  confirmedBy?: string;
}

export class FenceResult {
  host: string;
  status: HostStatus;
  /** Absent when the host was already fenced. */
  fencing?: FenceOutcome;
  failovers: string[];
}

export class ActivateResult {
  host: string;
  status: HostStatus;
  /** Containers of databases that moved away while the host was out. */
  removedContainers: string[];
  /** Databases whose DRBD copy rejoined as secondary. */
  rejoinedMirrors: string[];
}
