import type { FailoverEntity, HostEntity } from '@app/persistence/entities';

export interface FailoverView {
  id: string;
  databaseId: string;
  ha: string;
  reason: string;
  status: string;
  fromHost: { id: string; name: string } | null;
  toHost: { id: string; name: string } | null;
  actor: string | null;
  /** The operator accepted promoting a DRBD peer that may lack committed writes. */
  acceptDataLoss: boolean;
  error: string | null;
  operationId: string | null;
  timeline: {
    detectedAt: string;
    fencedAt: string | null;
    storageMovedAt: string | null;
    startedAt: string | null;
    reachableAt: string | null;
  };
  /** Milliseconds from detection to each step. */
  durationsMs: { fenced: number | null; storageMoved: number | null; started: number | null; reachable: number | null };
  /** Round trips to hosts the takeover made (commands, Docker API requests; not its readiness polls), all attempts. */
  roundTrips: number | null;
  createdAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toFailoverView(f: FailoverEntity, hosts: Map<string, HostEntity>): FailoverView {
  const ref = (id: string | null) => (id ? { id, name: hosts.get(id)?.name ?? '?' } : null);
  const since = (d: Date | null) => (d ? d.getTime() - f.detectedAt.getTime() : null);
  return {
    id: f.id,
    databaseId: f.databaseId,
    ha: f.ha,
    reason: f.reason,
    status: f.status,
    fromHost: ref(f.fromHostId),
    toHost: ref(f.toHostId),
    actor: f.actor,
    acceptDataLoss: f.acceptDataLoss ?? false,
    error: f.error,
    operationId: f.operationId,
    timeline: {
      detectedAt: f.detectedAt.toISOString(),
      fencedAt: iso(f.fencedAt),
      storageMovedAt: iso(f.storageMovedAt),
      startedAt: iso(f.startedAt),
      reachableAt: iso(f.reachableAt),
    },
    durationsMs: {
      fenced: since(f.fencedAt),
      storageMoved: since(f.storageMovedAt),
      started: since(f.startedAt),
      reachable: since(f.reachableAt),
    },
    roundTrips: f.roundTrips ?? null,
    createdAt: f.createdAt.toISOString(),
  };
}
