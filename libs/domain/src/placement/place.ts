import type { HaMode } from '@app/persistence/entities';
import {
  addInto,
  allocatable,
  byString,
  EPSILON,
  FAILURE_DOMAIN_LABELS,
  fitsWithin,
  hypervisorOf,
  RESOURCES,
  sharesFailureDomain,
  zero,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Overcommit,
  type Resource,
  type Resources,
} from './fleet';

export interface PlaceRequest {
  tenantId: string;
  demand: Resources;
  ha: HaMode;
  storageDriver?: string;
  /** Further conditions on the (primary) host: a VIP interface, a replication address... */
  accept?: (host: FleetHost) => boolean;
  /** Conditions on the DRBD peer; defaults to `accept`. */
  acceptPeer?: (host: FleetHost) => boolean;
}

export interface Placement {
  hostId: string;
  peerHostId: string | null;
  /** Normalized room left after placement (lower is tighter; a DRBD pair adds both hosts'). */
  score: number;
  /** True when no feasible host kept the tenant-spread rule, so it was broken (see `keepsSpread`). */
  spreadRelaxed: boolean;
}

export type PlacementFailureCode = 'no-capacity' | 'no-failure-domain' | 'no-host';

export interface PlacementFailure {
  code: PlacementFailureCode;
  reason: string;
}

export type PlacementResult = Placement | PlacementFailure;

export function isPlacement(r: PlacementResult): r is Placement {
  return 'hostId' in r;
}

/** What each host has promised: the sum of its databases' demands, a DRBD database counting on both replicas. */
export function promised(fleet: Fleet): Map<string, Resources> {
  const out = new Map<string, Resources>(fleet.hosts.map((h) => [h.id, zero()]));
  const on = (id: string) => out.get(id) ?? out.set(id, zero()).get(id)!;
  for (const db of fleet.databases) {
    addInto(on(db.hostId), db.demand);
    // The secondary must be able to take the primary's load the moment it fails over: its room stays reserved.
    if (db.ha === 'drbd' && db.peerHostId) addInto(on(db.peerHostId), db.demand);
  }
  for (const r of fleet.reserved ?? []) addInto(on(r.hostId), r.demand);
  return out;
}

/** Per resource: the fewest hosts of this capacity the demands need (ceil of the sum over the allocatable). */
export function lowerBounds(demands: Resources[], hostCapacity: Resources, overcommit: Overcommit): Resources {
  const total = demands.reduce((acc, d) => addInto(acc, d), zero());
  const alloc = allocatable(hostCapacity, overcommit);
  const bound = (r: Resource) => (total[r] <= 0 ? 0 : Math.ceil(total[r] / alloc[r] - EPSILON));
  return { cpus: bound('cpus'), memoryMb: bound('memoryMb'), diskGb: bound('diskGb') };
}

/** The fewest hosts of this capacity the demands need, over all resources (no packing can do better). */
export function lowerBound(demands: Resources[], hostCapacity: Resources, overcommit: Overcommit): number {
  const b = lowerBounds(demands, hostCapacity, overcommit);
  return Math.max(b.cpus, b.memoryMb, b.diskGb);
}

interface HostState {
  host: FleetHost;
  alloc: Resources;
  promised: Resources;
  /** Databases (primaries and DRBD secondaries) on it: 0 means empty. */
  databases: number;
  hypervisor: string;
}

interface Candidate {
  s: HostState;
  score: number;
  /** 0 for a host already in use, 1 for an empty one: consolidation fills used hosts first. */
  tier: number;
}

/**
 * The fit of a host after placement (lower is better). Consolidation is decided first by `tier`: no empty host is
 * opened while a used one has room. Among used hosts: with the usual overcommit (CPU 4×, memory and disk 1×)
 * memory and disk are what fill a host, and a host full on one with room left on the other strands that room. So
 * the score takes the two tightest resources after placement (remaining / allocatable, a ≤ b): mainly the gap
 * b − a (keep them filling together, like Kubernetes' balanced-allocation score), plus a tenth of a + b (among
 * equally balanced hosts, the fuller). Why not plain best fit (the sum, or the max, of the three remainders): in
 * the bench both do as well while memory binds alone (1.00–1.01 × the lower bound), but use 1.05–1.06 × once disk
 * binds about as much as memory, where this uses 1.04–1.05 ×. The cost: when only memory binds, a host with idle
 * disk looks unbalanced, so among used hosts a roomier one may be chosen; the host count did not suffer.
 */
function fitScore(s: HostState, d: Resources): number {
  const { alloc, promised: p } = s;
  const c = alloc.cpus > 0 ? (alloc.cpus - p.cpus - d.cpus) / alloc.cpus : 0;
  const m = alloc.memoryMb > 0 ? (alloc.memoryMb - p.memoryMb - d.memoryMb) / alloc.memoryMb : 0;
  const k = alloc.diskGb > 0 ? (alloc.diskGb - p.diskGb - d.diskGb) / alloc.diskGb : 0;
  // The two smallest of the three, without sorting (this runs for every host on every placement).
  const a = Math.min(c, m, k);
  const b = c + m + k - a - Math.max(c, m, k);
  return b - a + 0.1 * (a + b);
}

function compareCandidates(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || a.score - b.score || byString(a.s.host.name, b.s.host.name);
}

export function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A resource amount in words, for reasons shown to people. */
export const AMOUNT: Record<Resource, (v: number) => string> = {
  cpus: (v) => `${num(v)} CPU${v === 1 ? '' : 's'}`,
  memoryMb: (v) => `${num(v)} MB of memory`,
  diskGb: (v) => `${num(v)} GB of disk`,
};

const FAILURE_DOMAIN_TEXT = FAILURE_DOMAIN_LABELS.join(' or ');

/**
 * The mutable state behind `placeDatabase`: what each host has promised and where each tenant's databases are.
 * `place` chooses without changing anything; `add` / `remove` record a decision, so a series of placements
 * (a bench, an N+1 simulation, a rebalance) costs O(hosts) each instead of re-reading the whole fleet.
 */
export class Placer {
  private readonly states: HostState[];
  private readonly byId = new Map<string, HostState>();
  /** Per tenant: how many databases in all, and how many on each hypervisor (by primary). */
  private readonly tenants = new Map<string, { total: number; onHypervisor: Map<string, number> }>();
  /** Hosts taken out of consideration (a simulated loss): they receive nothing. */
  private readonly excluded = new Set<string>();

  constructor(
    fleet: Fleet,
    readonly overcommit: Overcommit,
  ) {
    this.states = [...fleet.hosts]
      .sort((a, b) => byString(a.name, b.name) || byString(a.id, b.id))
      .map((host) => ({
        host,
        alloc: allocatable(host.capacity, overcommit),
        promised: zero(),
        databases: 0,
        hypervisor: hypervisorOf(host),
      }));
    for (const s of this.states) this.byId.set(s.host.id, s);
    for (const db of fleet.databases) this.add(db);
    // Room promised to a database on its way: taken, though the database does not count there yet.
    for (const r of fleet.reserved ?? []) {
      const s = this.byId.get(r.hostId);
      if (s) addInto(s.promised, r.demand);
    }
  }

  /** Records a database where it is (a placement that was made, or one already in the fleet). */
  add(db: FleetDatabase): void {
    this.apply(db, 1);
  }

  /** Forgets a database (deleted, or about to move). */
  remove(db: FleetDatabase): void {
    this.apply(db, -1);
  }

  /** The host's promised total (read-only view), or undefined for a host not in the fleet. */
  promisedOn(hostId: string): Readonly<Resources> | undefined {
    return this.byId.get(hostId)?.promised;
  }

  /** Whether `demand` fits on the host beside what it has already promised. */
  fits(hostId: string, demand: Resources): boolean {
    const s = this.byId.get(hostId);
    return !!s && fitsWithin(s.promised, demand, s.alloc);
  }

  /**
   * Tenant spread: once a tenant has 3 or more databases, no hypervisor (the `hypervisor` label, else the host
   * itself) may carry more than half of them, so one hypervisor failure never takes most of a tenant down.
   * A database counts where its primary runs (a DRBD one survives its hypervisor, but a failover storm is what
   * the rule spreads out too). Checked for the hypervisor receiving the new database only: a tenant already
   * over the limit elsewhere (its first two databases on one hypervisor, or an earlier relaxed placement) is
   * fixed by moves, not by refusing new databases.
   */
  keepsSpread(tenantId: string, hostId: string): boolean {
    const t = this.tenants.get(tenantId);
    const total = (t?.total ?? 0) + 1;
    if (total < 3) return true;
    const s = this.byId.get(hostId);
    const hv = s ? s.hypervisor : `host:${hostId}`;
    return (t?.onHypervisor.get(hv) ?? 0) + 1 <= Math.floor(total / 2);
  }

  /** Takes a host out of consideration (or puts it back): `place` then never chooses it. */
  exclude(hostId: string, excluded = true): void {
    if (excluded) this.excluded.add(hostId);
    else this.excluded.delete(hostId);
  }

  /**
   * Chooses a host (and for DRBD a peer) without recording it; call `add` once the database is created there.
   * Rules, in order: active hosts only (draining, down and fenced take nothing), the storage driver and
   * `accept`, room by promised demand within capacity × overcommit on every resource, a DRBD peer never in the
   * primary's failure domain, tenant spread (hard while some feasible host keeps it), then best fit.
   */
  place(req: PlaceRequest): PlacementResult {
    const d = req.demand;
    const driverOk = (s: HostState) =>
      s.host.status === 'active' &&
      !this.excluded.has(s.host.id) &&
      (!req.storageDriver || s.host.storageDriver === req.storageDriver);
    const eligible = this.states.filter((s) => driverOk(s) && (!req.accept || req.accept(s.host)));
    const what = `no active host${req.storageDriver ? ` with storage driver ${req.storageDriver}` : ''}`;
    if (!eligible.length) return { code: 'no-host', reason: this.noHostReason(what, !!req.accept) };

    if (req.ha !== 'drbd') {
      // One pass (the common case, and the hot path of a bulk placement): the best host, and the best one that
      // keeps the tenant spread.
      let best: Candidate | null = null;
      let bestKept: Candidate | null = null;
      for (const s of eligible) {
        if (!fitsWithin(s.promised, d, s.alloc)) continue;
        const c: Candidate = { s, score: fitScore(s, d), tier: s.databases > 0 ? 0 : 1 };
        if (!best || compareCandidates(c, best) < 0) best = c;
        if ((!bestKept || compareCandidates(c, bestKept) < 0) && this.keepsSpread(req.tenantId, s.host.id))
          bestKept = c;
      }
      if (!best) return { code: 'no-capacity', reason: this.noCapacityReason(eligible, d, what) };
      const pick = bestKept ?? best;
      return { hostId: pick.s.host.id, peerHostId: null, score: pick.score, spreadRelaxed: !bestKept };
    }

    const candidates = (from: HostState[]) =>
      from
        .filter((s) => fitsWithin(s.promised, d, s.alloc))
        .map((s): Candidate => ({ s, score: fitScore(s, d), tier: s.databases > 0 ? 0 : 1 }))
        .sort(compareCandidates);
    const primaries = candidates(eligible);
    if (!primaries.length) return { code: 'no-capacity', reason: this.noCapacityReason(eligible, d, what) };

    const acceptPeer = req.acceptPeer ?? req.accept;
    const peerEligible = this.states.filter((s) => driverOk(s) && (!acceptPeer || acceptPeer(s.host)));
    if (!peerEligible.length) return { code: 'no-host', reason: `${this.noHostReason(what, true)} for the DRBD peer` };
    const peers = candidates(peerEligible);
    if (!peers.length) {
      return { code: 'no-capacity', reason: `${this.noCapacityReason(peerEligible, d, what)} for the DRBD peer` };
    }
    const withRoom = new Set([...primaries, ...peers].map((c) => c.s.host.id));
    if (withRoom.size < 2) {
      // One host has room for both replicas: a DRBD database needs a second, so this is a capacity shortage.
      const only = primaries[0].s;
      const others = peerEligible.filter((s) => s !== only);
      return {
        code: 'no-capacity',
        reason: others.length
          ? `only ${only.host.name} has room; ` +
            `${this.noCapacityReason(others, d, 'no other active host')} for the DRBD peer`
          : `only ${only.host.name} has room; a DRBD database needs a second active host`,
      };
    }
    const keep = primaries.filter((c) => this.keepsSpread(req.tenantId, c.s.host.id));
    const pair = bestPair(keep, peers) ?? bestPair(primaries, peers);
    if (!pair) {
      const names = [...withRoom].map((id) => this.byId.get(id)!.host.name).sort(byString);
      const shown =
        names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
      return {
        code: 'no-failure-domain',
        reason:
          `capacity exists on ${shown}, but no two of them are in different failure domains ` +
          `(a DRBD peer never shares the host, ${FAILURE_DOMAIN_TEXT} with its primary)`,
      };
    }
    const [p, q] = pair;
    return {
      hostId: p.s.host.id,
      peerHostId: q.s.host.id,
      score: p.score + q.score,
      spreadRelaxed: !this.keepsSpread(req.tenantId, p.s.host.id),
    };
  }

  private apply(db: FleetDatabase, sign: 1 | -1): void {
    const primary = this.byId.get(db.hostId);
    if (primary) {
      addInto(primary.promised, db.demand, sign);
      primary.databases += sign;
    }
    if (db.ha === 'drbd' && db.peerHostId) {
      const peer = this.byId.get(db.peerHostId);
      if (peer) {
        addInto(peer.promised, db.demand, sign);
        peer.databases += sign;
      }
    }
    let t = this.tenants.get(db.tenantId);
    if (!t) this.tenants.set(db.tenantId, (t = { total: 0, onHypervisor: new Map() }));
    t.total += sign;
    const hv = primary ? primary.hypervisor : `host:${db.hostId}`;
    t.onHypervisor.set(hv, (t.onHypervisor.get(hv) ?? 0) + sign);
  }

  private noHostReason(what: string, filtered: boolean): string {
    const byStatus = new Map<string, number>();
    for (const s of this.states) {
      const k = this.excluded.has(s.host.id) ? 'excluded' : s.host.status;
      byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
    }
    const counts = [...byStatus].map(([k, n]) => `${n} ${k}`).join(', ');
    const n = this.states.length;
    const conditions = filtered ? " meets the request's conditions" : '';
    return `${what}${conditions} (${n} host${n === 1 ? '' : 's'}${counts ? `: ${counts}` : ''})`;
  }

  /**
   * Names the tightest resource: the one whose best host covers the smallest share of the demand. When every
   * resource alone fits somewhere but never all on one host, names the host that comes closest.
   */
  private noCapacityReason(hosts: HostState[], d: Resources, what: string): string {
    const free = (s: HostState, r: Resource) => s.alloc[r] - s.promised[r];
    const detail = (s: HostState, r: Resource) =>
      `${s.host.name} ${num(free(s, r))} of ${num(s.host.capacity[r])} × ${num(this.overcommit[r])} allocatable`;
    let tightest: { r: Resource; s: HostState; coverage: number } | null = null;
    for (const r of RESOURCES) {
      if (d[r] <= 0) continue;
      const best = hosts.reduce((a, b) => (free(b, r) > free(a, r) ? b : a));
      const coverage = free(best, r) / d[r];
      if (!tightest || coverage < tightest.coverage) tightest = { r, s: best, coverage };
    }
    if (tightest && tightest.coverage < 1 - EPSILON) {
      return `${what} has ${AMOUNT[tightest.r](d[tightest.r])} free (best: ${detail(tightest.s, tightest.r)})`;
    }
    // Each resource fits somewhere on its own: the closest host is the one with the smallest worst shortfall.
    const shortfall = (s: HostState) =>
      RESOURCES.reduce<{ r: Resource; v: number }>(
        (worst, r) => {
          const v = s.alloc[r] > 0 ? (d[r] - free(s, r)) / s.alloc[r] : d[r] > 0 ? Infinity : 0;
          return v > worst.v ? { r, v } : worst;
        },
        { r: 'cpus', v: -Infinity },
      );
    const closest = hosts.reduce((a, b) => (shortfall(b).v < shortfall(a).v ? b : a));
    const all = RESOURCES.filter((r) => d[r] > 0).map((r) => AMOUNT[r](d[r]));
    const list = all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}` : all.join('');
    const r = shortfall(closest).r;
    const has = AMOUNT[r](free(closest, r));
    const of = `${num(closest.host.capacity[r])} × ${num(this.overcommit[r])}`;
    return `${what} has ${list} free at once (closest: ${closest.host.name}, with ${has} free of ${of})`;
  }
}

/**
 * The pair with the best combined fit: fewest empty hosts, then the least room left over both. For a given
 * primary the best peer is the first one (in candidate order) outside its failure domain, and primaries come
 * in candidate order too, so the scan stops as soon as no later primary can beat the best pair found.
 */
function bestPair(primaries: Candidate[], peers: Candidate[]): [Candidate, Candidate] | null {
  let best: [Candidate, Candidate] | null = null;
  const better = (a: [Candidate, Candidate], b: [Candidate, Candidate]) =>
    a[0].tier + a[1].tier - (b[0].tier + b[1].tier) ||
    a[0].score + a[1].score - (b[0].score + b[1].score) ||
    byString(a[0].s.host.name, b[0].s.host.name) ||
    byString(a[1].s.host.name, b[1].s.host.name);
  for (const p of primaries) {
    if (best && better([p, peers[0]], best) > 0) break;
    const q = peers.find((c) => !sharesFailureDomain(p.s.host, c.s.host));
    if (q && (!best || better([p, q], best) < 0)) best = [p, q];
  }
  return best;
}

/** One placement on the fleet as it is (see `Placer.place` for the rules). */
export function placeDatabase(fleet: Fleet, req: PlaceRequest, overcommit: Overcommit): PlacementResult {
  return new Placer(fleet, overcommit).place(req);
}
