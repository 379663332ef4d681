import {
  allocatable,
  byString,
  EPSILON,
  RESOURCES,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Overcommit,
  type Resources,
} from './fleet';
import { isPlacement, Placer } from './place';

export interface LossPlacement {
  databaseId: string;
  /** Where it would run; null when it has no place. */
  to: string | null;
  /** Why it has no place (set only when `to` is null). */
  reason?: string;
}

export interface HostLoss {
  hostId: string;
  name: string;
  /** Databases whose primary runs there. */
  databases: number;
  /** Whether every one of them has a place on the survivors. */
  fits: boolean;
  placements: LossPlacement[];
}

/**
 * N+1: for every active or draining host, whether the rest of the fleet could absorb its loss right now. The
 * host and its databases leave (DRBD secondaries on it are simply gone); DRBD databases fail over to their peer
 * (whose room is already promised, so it must still be within capacity × overcommit); SAN and unreplicated
 * databases (and DRBD ones without a usable peer) are placed again with the normal rules of `Placer.place` on the
 * active survivors, the biggest first, each placement seen by the next. A SAN database keeps its storage driver
 * (its LUN is attached where it goes); the others are restored anywhere.
 */
export function nPlusOne(fleet: Fleet, overcommit: Overcommit): HostLoss[] {
  const sim = new LossSimulator(fleet, overcommit);
  return fleet.hosts
    .filter((h) => h.status === 'active' || h.status === 'draining')
    .sort((a, b) => byString(a.name, b.name))
    .map((h) => sim.lose(h));
}

/** "If this host died now": its databases and where each would go (see `nPlusOne`). */
export function simulateHostLoss(fleet: Fleet, hostId: string, overcommit: Overcommit): HostLoss {
  const lost = fleet.hosts.find((h) => h.id === hostId);
  if (!lost) throw new Error(`unknown host ${hostId}`);
  return new LossSimulator(fleet, overcommit).lose(lost);
}

/**
 * One Placer for the whole fleet; each simulated loss is applied to it and undone afterwards, so N+1 over the
 * fleet costs the databases of each host, not the whole fleet per host.
 */
class LossSimulator {
  private readonly placer: Placer;
  private readonly hostById: Map<string, FleetHost>;
  private readonly primariesOn = new Map<string, FleetDatabase[]>();

  constructor(
    fleet: Fleet,
    private readonly overcommit: Overcommit,
  ) {
    this.placer = new Placer(fleet, overcommit);
    this.hostById = new Map(fleet.hosts.map((h) => [h.id, h]));
    for (const db of fleet.databases) {
      const list = this.primariesOn.get(db.hostId);
      if (list) list.push(db);
      else this.primariesOn.set(db.hostId, [db]);
    }
  }

  lose(lost: FleetHost): HostLoss {
    const victims = this.primariesOn.get(lost.id) ?? [];
    const placer = this.placer;
    // Undo log: what was removed is added back, what was added is removed, in reverse order.
    const removed: FleetDatabase[] = [];
    const added: FleetDatabase[] = [];
    placer.exclude(lost.id);
    try {
      // Its databases leave (a DRBD one also leaves its peer's reservation until it fails over there).
      for (const db of victims) {
        placer.remove(db);
        removed.push(db);
      }
      const placements = new Map<string, LossPlacement>();
      const toPlace: { db: FleetDatabase; why?: string }[] = [];
      for (const db of victims) {
        const peer = db.ha === 'drbd' && db.peerHostId ? this.hostById.get(db.peerHostId) : undefined;
        if (!peer || peer.id === lost.id || (peer.status !== 'active' && peer.status !== 'draining')) {
          const why =
            db.ha !== 'drbd' ? undefined : peer ? `its peer ${peer.name} is ${peer.status}` : 'it has no peer';
          toPlace.push({ db, why });
          continue;
        }
        const moved: FleetDatabase = { ...db, hostId: peer.id, peerHostId: null };
        placer.add(moved);
        added.push(moved);
      }
      for (const db of added) {
        const peer = this.hostById.get(db.hostId)!;
        const over = overPromised(peer, placer.promisedOn(peer.id)!, this.overcommit);
        placements.set(
          db.id,
          over
            ? { databaseId: db.id, to: null, reason: `fails over to ${peer.name}, which would be over ${over}` }
            : { databaseId: db.id, to: peer.id },
        );
      }

      // The rest are placed again, biggest first (relative to the lost host), each placement seen by the next.
      const ref = allocatable(lost.capacity, this.overcommit);
      const size = (d: Resources) => RESOURCES.reduce((s, r) => s + (ref[r] > 0 ? d[r] / ref[r] : 0), 0);
      toPlace.sort((a, b) => size(b.db.demand) - size(a.db.demand) || byString(a.db.id, b.db.id));
      for (const { db, why } of toPlace) {
        const result = placer.place({
          tenantId: db.tenantId,
          demand: db.demand,
          ha: db.ha === 'drbd' ? 'none' : db.ha, // back on one host: a new peer is a later, separate step
          storageDriver: db.ha === 'san' ? lost.storageDriver : undefined,
        });
        if (isPlacement(result)) {
          const moved: FleetDatabase = { ...db, hostId: result.hostId, peerHostId: null };
          placer.add(moved);
          added.push(moved);
          placements.set(db.id, { databaseId: db.id, to: result.hostId });
        } else {
          placements.set(db.id, {
            databaseId: db.id,
            to: null,
            reason: why ? `${why}; ${result.reason}` : result.reason,
          });
        }
      }
      const ordered = victims.map((db) => placements.get(db.id)!);
      return {
        hostId: lost.id,
        name: lost.name,
        databases: victims.length,
        fits: ordered.every((p) => p.to !== null),
        placements: ordered,
      };
    } finally {
      for (const db of added.reverse()) placer.remove(db);
      for (const db of removed.reverse()) placer.add(db);
      placer.exclude(lost.id, false);
    }
  }
}

function overPromised(h: FleetHost, promised: Readonly<Resources>, overcommit: Overcommit): string | null {
  const alloc = allocatable(h.capacity, overcommit);
  const r = RESOURCES.find((k) => promised[k] > alloc[k] + EPSILON);
  return r ? `${r}: ${Math.round(promised[r] * 100) / 100} promised of ${h.capacity[r]} × ${overcommit[r]}` : null;
}
