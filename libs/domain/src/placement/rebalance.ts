import {
  byString,
  sharesFailureDomain,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Measured,
  type Overcommit,
} from './fleet';
import { Placer } from './place';

/** Hotspot thresholds, as fractions of the host's (not overcommitted) capacity. */
export interface HotspotThresholds {
  cpu: number;
  memory: number;
  /** Only with `hostNetMbps`: network is not a criterion otherwise. */
  net?: number;
}

export interface RebalanceOptions {
  /** Each host's network capacity in Mbit/s; without it network use is ignored. */
  hostNetMbps?: number;
  /** At most this many moves in all (the rest of the hotspots are reported unresolved). */
  maxMoves?: number;
}

/** Measured use of a host as fractions of its capacity. */
export interface HostLoad {
  hostId: string;
  cpu: number;
  memory: number;
  net: number;
}

export interface RebalanceMove {
  databaseId: string;
  from: string;
  to: string;
  reason: string;
}

export interface RebalancePlan {
  /** The hotspots found (before any move), hottest (by volume) first. */
  hotspots: HostLoad[];
  /** In order: each one was chosen seeing the ones before it. */
  moves: RebalanceMove[];
  unresolved: { hostId: string; reason: string }[];
}

type Dim = 'cpu' | 'memory' | 'net';
const DIMS: Dim[] = ['cpu', 'memory', 'net'];
type Use = Record<Dim, number>;

/** Sandpiper's volume: 1 / ((1 - cpu)(1 - memory)(1 - net)), fractions capped below 1 so it stays finite. */
export function volume(load: Use): number {
  const free = (x: number) => 1 - Math.min(Math.max(x, 0), 0.99);
  return 1 / (free(load.cpu) * free(load.memory) * free(load.net));
}

/**
 * Each host's measured load: the sum of its databases' measured use over its capacity (not overcommitted). A
 * database not sampled yet counts as idle: assuming its whole plan would make hotspots of hosts that are not.
 */
export function hostLoads(
  fleet: Fleet,
  measured: Map<string, Measured>,
  opts: Pick<RebalanceOptions, 'hostNetMbps'> = {},
): Map<string, HostLoad> {
  const sums = new Map<string, Use>(fleet.hosts.map((h) => [h.id, { cpu: 0, memory: 0, net: 0 }]));
  for (const db of fleet.databases) {
    const u = sums.get(db.hostId);
    const m = measured.get(db.id);
    if (!u || !m) continue;
    u.cpu += m.cpuCores;
    u.memory += m.memoryMb;
    u.net += m.netMbps ?? 0;
  }
  const out = new Map<string, HostLoad>();
  for (const h of fleet.hosts) out.set(h.id, { hostId: h.id, ...fractions(h, sums.get(h.id)!, opts.hostNetMbps) });
  return out;
}

function fractions(h: FleetHost, abs: Use, hostNetMbps: number | undefined): Use {
  return {
    cpu: h.capacity.cpus > 0 ? abs.cpu / h.capacity.cpus : 0,
    memory: h.capacity.memoryMb > 0 ? abs.memory / h.capacity.memoryMb : 0,
    net: hostNetMbps && hostNetMbps > 0 ? abs.net / hostNetMbps : 0,
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/**
 * Sandpiper-style hotspot mitigation, asking for the fewest moves. Hotspots are handled hottest first (by
 * volume). For each: (1) a single move that clears it, the cheapest one (smallest memory footprint: Sandpiper's
 * migration cost) that suffices; else (2) a pair of moves that clears it, the cheapest such pair, searched among
 * the databases that relieve the overload most; else (3) greedily the database that takes away most of what is
 * left of the excess (Sandpiper's volume-to-size ratio breaks ties), ending with the cheapest single move as soon
 * as one suffices. Sandpiper's own order (highest VSR first) is kept as the tie-break only: it favours small
 * databases, which on a memory hotspot means many small moves where one or two big ones would do.
 *
 * Destination: the active host with the lowest measured volume (same storage driver, the database's demand fits
 * in its promised room with overcommit, tenant spread kept, never in the failure domain of the database's DRBD
 * peer) that would not itself cross a threshold. Moves are applied to a working copy, so each choice sees the
 * earlier ones. Only `ha: 'none'` databases are moved: a DRBD or SAN database is relieved by switching it over
 * to its peer / another initiator, which is a failover, not a volume move; the report says when that would help.
 */
export function proposeRebalance(
  fleet: Fleet,
  measured: Map<string, Measured>,
  thresholds: HotspotThresholds,
  overcommit: Overcommit,
  opts: RebalanceOptions = {},
): RebalancePlan {
  const hostNet = opts.hostNetMbps && opts.hostNetMbps > 0 ? opts.hostNetMbps : undefined;
  const maxMoves = opts.maxMoves ?? Infinity;
  const limit: Use = {
    cpu: thresholds.cpu,
    memory: thresholds.memory,
    net: hostNet && thresholds.net !== undefined ? thresholds.net : Infinity,
  };
  const hosts = [...fleet.hosts].sort((a, b) => byString(a.name, b.name) || byString(a.id, b.id));
  const hostById = new Map(hosts.map((h) => [h.id, h]));
  // The working copy: where each database is, what each host uses (absolute), what it has promised.
  const dbs = fleet.databases.map((db) => ({ ...db }));
  const dbsOn = new Map<string, FleetDatabase[]>(hosts.map((h) => [h.id, []]));
  for (const db of dbs) dbsOn.get(db.hostId)?.push(db);
  const abs = new Map<string, Use>(hosts.map((h) => [h.id, { cpu: 0, memory: 0, net: 0 }]));
  const useOf = (db: FleetDatabase): Use => {
    const m = measured.get(db.id);
    return { cpu: m?.cpuCores ?? 0, memory: m?.memoryMb ?? 0, net: m?.netMbps ?? 0 };
  };
  for (const db of dbs) {
    const u = abs.get(db.hostId);
    if (u) for (const k of DIMS) u[k] += useOf(db)[k];
  }
  const placer = new Placer({ hosts, databases: dbs }, overcommit);

  const loadOf = (h: FleetHost, delta: Use = { cpu: 0, memory: 0, net: 0 }, sign = 1): Use => {
    const a = abs.get(h.id)!;
    return fractions(
      h,
      { cpu: a.cpu + sign * delta.cpu, memory: a.memory + sign * delta.memory, net: a.net + sign * delta.net },
      hostNet,
    );
  };
  const overDims = (l: Use) => DIMS.filter((k) => l[k] > limit[k] + 1e-12);
  const sumUse = (list: FleetDatabase[]): Use =>
    list.reduce<Use>(
      (acc, db) => {
        const u = useOf(db);
        return { cpu: acc.cpu + u.cpu, memory: acc.memory + u.memory, net: acc.net + u.net };
      },
      { cpu: 0, memory: 0, net: 0 },
    );
  const clearedWithout = (h: FleetHost, list: FleetDatabase[]) => overDims(loadOf(h, sumUse(list), -1)).length === 0;
  // Sandpiper's migration cost and VSR: memory footprint (at least 1 MB, so an idle database is not free).
  const size = (db: FleetDatabase) => Math.max(useOf(db).memory, 1);
  const vsr = (db: FleetDatabase, h: FleetHost) => {
    const l = fractions(h, useOf(db), hostNet);
    return volume(l) / size(db);
  };

  const destinationFor = (db: FleetDatabase): FleetHost | null => {
    const from = hostById.get(db.hostId)!;
    const peer = db.peerHostId ? hostById.get(db.peerHostId) : undefined;
    const u = useOf(db);
    placer.remove(db);
    try {
      let best: { h: FleetHost; vol: number } | null = null;
      for (const h of hosts) {
        if (h.id === from.id || h.status !== 'active' || h.storageDriver !== from.storageDriver) continue;
        if (peer && sharesFailureDomain(h, peer)) continue;
        if (!placer.fits(h.id, db.demand) || !placer.keepsSpread(db.tenantId, h.id)) continue;
        if (overDims(loadOf(h, u)).length) continue;
        const vol = volume(loadOf(h));
        if (!best || vol < best.vol) best = { h, vol };
      }
      return best?.h ?? null;
    } finally {
      placer.add(db);
    }
  };

  const move = (db: FleetDatabase, to: string) => {
    const u = useOf(db);
    placer.remove(db);
    const list = dbsOn.get(db.hostId)!;
    list.splice(list.indexOf(db), 1);
    for (const k of DIMS) abs.get(db.hostId)![k] -= u[k];
    db.hostId = to;
    dbsOn.get(to)!.push(db);
    for (const k of DIMS) abs.get(to)![k] += u[k];
    placer.add(db);
  };

  const initial = hosts
    .filter((h) => h.status === 'active' || h.status === 'draining')
    .map((h) => ({ h, load: loadOf(h) }))
    .filter((x) => overDims(x.load).length > 0)
    .sort((a, b) => volume(b.load) - volume(a.load) || byString(a.h.name, b.h.name));

  const moves: RebalanceMove[] = [];
  const unresolved: RebalancePlan['unresolved'] = [];

  for (const { h, load } of initial) {
    const what = `${h.name} over ${overDims(load)
      .map((k) => `${k} (${pct(load[k])} > ${pct(limit[k])})`)
      .join(' and ')}`;
    const onHost = [...dbsOn.get(h.id)!].sort((a, b) => byString(a.id, b.id));
    const movable = onHost.filter((db) => db.ha === 'none');
    const haCount = onHost.length - movable.length;
    const haNote = haCount ? `; ${haCount} HA database(s) could be switched over to a peer instead` : '';
    const budget = () => maxMoves - moves.length;
    if (!movable.length) {
      unresolved.push({ hostId: h.id, reason: `${what}: no database that can be moved${haNote}` });
      continue;
    }
    if (budget() <= 0) {
      unresolved.push({ hostId: h.id, reason: `${what}: the move budget (${maxMoves}) is spent` });
      continue;
    }
    const byCost = (a: FleetDatabase[], b: FleetDatabase[]) =>
      a.reduce((s, db) => s + size(db), 0) - b.reduce((s, db) => s + size(db), 0) ||
      b.reduce((s, db) => s + vsr(db, h), 0) - a.reduce((s, db) => s + vsr(db, h), 0) ||
      byString(a.map((db) => db.id).join(), b.map((db) => db.id).join());
    /** The cheapest single move that clears what is left of the hotspot, applied; false when there is none. */
    const finishWithOne = (step: string): boolean => {
      const remaining = dbsOn.get(h.id)!.filter((db) => db.ha === 'none');
      const singles = remaining
        .filter((db) => clearedWithout(h, [db]))
        .map((db) => [db])
        .sort(byCost);
      for (const [db] of singles) {
        const to = destinationFor(db);
        if (!to) continue;
        moves.push({ databaseId: db.id, from: h.id, to: to.id, reason: `${what}: ${step}` });
        move(db, to.id);
        return true;
      }
      return false;
    };

    // (1) One move.
    if (finishWithOne('this move alone clears it')) continue;

    // (2) Two moves, among the databases that relieve the overload most.
    // The share of each remaining excess the database takes away, summed over the resources still over.
    const relief = (db: FleetDatabase) => {
      const now = loadOf(h);
      const u = fractions(h, useOf(db), hostNet);
      return overDims(now).reduce((s, k) => s + Math.min(u[k], now[k] - limit[k]) / (now[k] - limit[k]), 0);
    };
    const byRelief = (a: FleetDatabase, b: FleetDatabase) =>
      relief(b) - relief(a) || vsr(b, h) - vsr(a, h) || byString(a.id, b.id);
    if (budget() >= 2) {
      const pool = [...movable].sort(byRelief).slice(0, 40);
      const pairs: FleetDatabase[][] = [];
      for (let i = 0; i < pool.length; i++)
        for (let j = i + 1; j < pool.length; j++)
          if (clearedWithout(h, [pool[i], pool[j]])) pairs.push([pool[i], pool[j]]);
      pairs.sort(byCost);
      let done = false;
      for (const [a, b] of pairs) {
        for (const [x, y] of [
          [a, b],
          [b, a],
        ]) {
          const toX = destinationFor(x);
          if (!toX) continue;
          move(x, toX.id);
          const toY = destinationFor(y);
          if (!toY) {
            move(x, h.id); // undo: y has nowhere to go after x
            continue;
          }
          move(y, toY.id);
          moves.push({ databaseId: x.id, from: h.id, to: toX.id, reason: `${what}: 1 of 2 moves that clear it` });
          moves.push({ databaseId: y.id, from: h.id, to: toY.id, reason: `${what}: 2 of 2 moves that clear it` });
          done = true;
          break;
        }
        if (done) break;
      }
      if (done) continue;
    }

    // (3) Greedy: the biggest relief first, finishing with the cheapest single move as soon as one suffices.
    let count = 0;
    let stuck = false;
    while (overDims(loadOf(h)).length && budget() > 0) {
      if (finishWithOne(`move ${count + 1}, the last of ${count + 1} that clear it`)) break;
      const remaining = dbsOn
        .get(h.id)!
        .filter((db) => db.ha === 'none')
        .sort(byRelief);
      let next: { db: FleetDatabase; to: FleetHost } | null = null;
      for (const db of remaining) {
        const to = destinationFor(db);
        if (to) {
          next = { db, to };
          break;
        }
      }
      if (!next) {
        stuck = true;
        break;
      }
      moves.push({
        databaseId: next.db.id,
        from: h.id,
        to: next.to.id,
        reason: `${what}: move ${count + 1} of several`,
      });
      move(next.db, next.to.id);
      count++;
    }
    const left = overDims(loadOf(h));
    if (left.length) {
      const after = `still over ${left.join(' and ')} after ${count} move(s)`;
      unresolved.push({
        hostId: h.id,
        reason: stuck
          ? `${what}: ${after}; no active host can take another of its movable databases ` +
            `without crossing a threshold or breaking a placement rule${haNote}`
          : `${what}: ${after}; the move budget (${maxMoves}) is spent${haNote}`,
      });
    }
  }

  return {
    hotspots: initial.map(({ h, load }) => ({ hostId: h.id, ...load })),
    moves,
    unresolved,
  };
}
