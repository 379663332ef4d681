import {
  allocatable,
  hostLoads,
  isPlacement,
  lowerBounds,
  nPlusOne,
  Placer,
  proposeRebalance,
  RESOURCES,
  sharesFailureDomain,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Measured,
  type Overcommit,
  type Resources,
} from '../../libs/domain/src/placement';

/**
 * `npm run bench:placement` (`node -r @swc-node/register test/bench/placement.bench.ts`): the pure placement
 * logic on a synthetic fleet, no services.
 *  1. Consolidation: 10,000 databases of mixed plans (some DRBD pairs, a few hundred tenants) arrive in a random
 *     order on 200 empty hosts, for two plan mixes (memory binding alone; memory and disk both binding). Best fit
 *     (ours) against the old least-loaded `chooseHost` strategy (a frozen copy below, so the baseline stays the
 *     old one whatever placement.service.ts becomes), both judged against the lower bound: max over resources of
 *     ceil(total demand / host allocatable). Target: ours ≤ 1.05 × the bound.
 *  2. N+1 on the consolidated fleet: whether each host's loss could be absorbed.
 *  3. Rebalancer: a fleet with injected hotspots whose minimum number of moves is known by construction.
 * Output is deterministic for a seed except the timings. Progress goes to stderr.
 * Env: BENCH_PLACEMENT_SEED (default 42), BENCH_PLACEMENT_HOSTS (200), BENCH_PLACEMENT_DATABASES (10000).
 */
const SEED = Number(process.env.BENCH_PLACEMENT_SEED ?? 42);
const HOSTS = Number(process.env.BENCH_PLACEMENT_HOSTS ?? 200);
const DATABASES = Number(process.env.BENCH_PLACEMENT_DATABASES ?? 10_000);
const TENANTS = 300;
const DRBD_SHARE = 0.08;
const TARGET = 1.05;
const OVERCOMMIT: Overcommit = { cpus: 4, memoryMb: 1, diskGb: 1 };
const CAPACITY: Resources = { cpus: 32, memoryMb: 128 * 1024, diskGb: 2000 };

interface Plan {
  name: string;
  weight: number;
  demand: Resources;
}

/** The sizes every mix uses: mostly small databases, a long tail (≈100 MB of memory per GB of disk). */
const SIZES: Plan[] = [
  { name: 'xs', weight: 29, demand: { cpus: 0.25, memoryMb: 512, diskGb: 5 } },
  { name: 's', weight: 30, demand: { cpus: 0.5, memoryMb: 1024, diskGb: 10 } },
  { name: 'm', weight: 20, demand: { cpus: 1, memoryMb: 2048, diskGb: 20 } },
  { name: 'l', weight: 10, demand: { cpus: 2, memoryMb: 4096, diskGb: 40 } },
  { name: 'xl', weight: 4, demand: { cpus: 4, memoryMb: 8192, diskGb: 80 } },
  { name: '2xl', weight: 1, demand: { cpus: 8, memoryMb: 16384, diskGb: 160 } },
];

/**
 * Two mixes: memory binds alone (a few disk-heavy "storage" databases), and memory and disk bind about equally
 * (twice as many, bigger storage databases): there the packing must fit both resources together, and the
 * lower bound (the max of the per-resource bounds) is harder to reach.
 */
const MIXES: { name: string; plans: Plan[] }[] = [
  {
    name: 'memory-bound',
    plans: [
      ...SIZES.map((p) => (p.name === 'xs' ? { ...p, weight: 32 } : p)),
      { name: 'storage', weight: 3, demand: { cpus: 1, memoryMb: 1024, diskGb: 120 } },
    ],
  },
  {
    name: 'memory+disk-bound',
    plans: [...SIZES, { name: 'storage', weight: 6, demand: { cpus: 1, memoryMb: 1024, diskGb: 200 } }],
  },
];

/** mulberry32: a tiny seeded PRNG, so every run places the same databases in the same order. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function status(text: string): void {
  process.stderr.write(`\r[bench] ${text}`.padEnd(100));
}

function pad(n: number, width = 3): string {
  return String(n).padStart(width, '0');
}

/** 10 hosts per rack, 2 per hypervisor (a hypervisor never spans racks). */
function makeHosts(count: number): FleetHost[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `h-${pad(i)}`,
    name: `host-${pad(i)}`,
    status: 'active' as const,
    labels: { rack: `r${Math.floor(i / 10)}`, hypervisor: `h${Math.floor(i / 2)}` },
    capacity: { ...CAPACITY },
    storageDriver: 'directory',
  }));
}

interface Arrival {
  id: string;
  tenantId: string;
  demand: Resources;
  ha: 'none' | 'drbd';
}

function makeArrivals(rand: () => number, plans: Plan[]): Arrival[] {
  const total = plans.reduce((s, p) => s + p.weight, 0);
  const pick = () => {
    let x = rand() * total;
    for (const p of plans) if ((x -= p.weight) < 0) return p;
    return plans[plans.length - 1];
  };
  const out: Arrival[] = [];
  for (let i = 0; i < DATABASES; i++) {
    const plan = pick();
    // A skewed tenant mix: a few big tenants, many small ones.
    const tenant = Math.floor(TENANTS * rand() ** 2);
    out.push({
      id: `db-${pad(i, 5)}`,
      tenantId: `t-${pad(tenant)}`,
      demand: { ...plan.demand },
      ha: rand() < DRBD_SHARE ? 'drbd' : 'none',
    });
  }
  // Fisher-Yates with the same generator: the arrival order is random but fixed.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface PackResult {
  fleet: Fleet;
  placed: number;
  failed: number;
  relaxed: number;
  seconds: number;
}

function hostsUsed(fleet: Fleet): number {
  const used = new Set<string>();
  for (const db of fleet.databases) {
    used.add(db.hostId);
    if (db.peerHostId) used.add(db.peerHostId);
  }
  return used.size;
}

function packBestFit(hosts: FleetHost[], arrivals: Arrival[], label: string): PackResult {
  const databases: FleetDatabase[] = [];
  const placer = new Placer({ hosts, databases: [] }, OVERCOMMIT);
  let failed = 0;
  let relaxed = 0;
  const t0 = performance.now();
  arrivals.forEach((a, i) => {
    const r = placer.place({ tenantId: a.tenantId, demand: a.demand, ha: a.ha });
    if (!isPlacement(r)) failed++;
    else {
      const db: FleetDatabase = { ...a, hostId: r.hostId, peerHostId: r.peerHostId };
      placer.add(db);
      databases.push(db);
      if (r.spreadRelaxed) relaxed++;
    }
    if (i % 1000 === 0) status(`${label}: best fit ${i}/${arrivals.length}`);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { fleet: { hosts, databases }, placed: databases.length, failed, relaxed, seconds };
}

/**
 * The old strategy, as `chooseHost` (placement/least-loaded.ts) has it: the active host with room
 * that stays the least loaded by its tightest resource; a DRBD peer the same way outside the primary's domain.
 */
function packLeastLoaded(hosts: FleetHost[], arrivals: Arrival[], label: string): PackResult {
  const used = new Map<string, Resources>(hosts.map((h) => [h.id, { cpus: 0, memoryMb: 0, diskGb: 0 }]));
  const alloc = new Map(hosts.map((h) => [h.id, allocatable(h.capacity, OVERCOMMIT)]));
  const choose = (d: Resources, accept: (h: FleetHost) => boolean): FleetHost | null => {
    let best: { host: FleetHost; load: number } | null = null;
    for (const host of hosts) {
      if (host.status !== 'active' || !accept(host)) continue;
      const u = used.get(host.id)!;
      const a = alloc.get(host.id)!;
      const load = Math.max(...RESOURCES.map((r) => (u[r] + d[r]) / a[r]));
      if (load > 1) continue;
      if (!best || load < best.load) best = { host, load };
    }
    return best?.host ?? null;
  };
  const add = (id: string, d: Resources) => {
    const u = used.get(id)!;
    for (const r of RESOURCES) u[r] += d[r];
  };
  const databases: FleetDatabase[] = [];
  let failed = 0;
  const t0 = performance.now();
  arrivals.forEach((a, i) => {
    const primary = choose(a.demand, () => true);
    const peer = primary && a.ha === 'drbd' ? choose(a.demand, (h) => !sharesFailureDomain(h, primary)) : null;
    if (!primary || (a.ha === 'drbd' && !peer)) failed++;
    else {
      add(primary.id, a.demand);
      if (peer) add(peer.id, a.demand);
      databases.push({ ...a, hostId: primary.id, peerHostId: peer?.id ?? null });
    }
    if (i % 1000 === 0) status(`${label}: least loaded ${i}/${arrivals.length}`);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { fleet: { hosts, databases }, placed: databases.length, failed, relaxed: 0, seconds };
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(fmt(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(fmt(r));
}

// ---------------------------------------------------------------------------------------------------------------
// Rebalancer: hotspots with a known minimum number of moves.

interface HotspotCase {
  fleet: Fleet;
  measured: Map<string, Measured>;
  /** Per hotspot host: the fewest moves that clear it. */
  minimum: Map<string, number>;
}

const THRESHOLDS = { cpu: 0.75, memory: 0.85 };

/**
 * 100 hosts with 20 background databases each (well under the thresholds). 30 of them get "hot" databases on top,
 * on one resource (CPU or memory), so that exactly k moves are needed: with n = k + j hot databases of equal use u,
 * the excess E = B + n·u − T is in ((k−1)·u, k·u], and every background database is smaller than u, so no k−1
 * databases take E away and k hot ones do. The minimum is checked again from the host's databases (the fewest
 * biggest uses whose sum reaches E), the exact minimum for a one-resource overload with enough room elsewhere.
 */
function makeHotspots(rand: () => number): HotspotCase {
  const hosts = makeHosts(100);
  const databases: FleetDatabase[] = [];
  const measured = new Map<string, Measured>();
  const minimum = new Map<string, number>();
  let n = 0;
  const addDb = (host: FleetHost, demand: Resources, use: Measured) => {
    const id = `db-${pad(n++, 5)}`;
    databases.push({ id, tenantId: `t-${pad(n % 97)}`, hostId: host.id, peerHostId: null, demand, ha: 'none' });
    measured.set(id, use);
  };
  const hot = new Set<number>();
  while (hot.size < 30) hot.add(Math.floor(rand() * hosts.length));
  hosts.forEach((host, i) => {
    const dim = hot.has(i) ? (i % 2 ? 'memoryMb' : 'cpus') : null;
    for (let b = 0; b < 20; b++) {
      // Background: 0.2-0.5 cores of 1, 1.5-2.5 GB of 4 GB; a memory hotspot starts fuller (3.5-3.8 GB of 3.75).
      const memory =
        dim === 'memoryMb' ? { demand: 3840, use: 3500 + rand() * 300 } : { demand: 4096, use: 1500 + rand() * 1000 };
      addDb(
        host,
        { cpus: 1, memoryMb: memory.demand, diskGb: 40 },
        { cpuCores: 0.2 + rand() * 0.3, memoryMb: memory.use },
      );
    }
    if (!dim) return;
    const mine = () => databases.filter((d) => d.hostId === host.id);
    const key = dim === 'cpus' ? 'cpuCores' : 'memoryMb';
    const base = mine().reduce((s, d) => s + measured.get(d.id)![key], 0);
    const baseDemand = mine().reduce((s, d) => s + d.demand.memoryMb, 0);
    const cap = CAPACITY[dim];
    const limit = (dim === 'cpus' ? THRESHOLDS.cpu : THRESHOLDS.memory) * cap;
    const k = 1 + Math.floor(rand() * 3);
    for (let attempt = 0; ; attempt++) {
      const j = 1 + Math.floor(rand() * 8);
      const lo = (limit - base) / (j + 1);
      const hi = (limit - base) / j;
      const u = lo + (hi - lo) * (0.05 + 0.9 * rand());
      const count = k + j;
      const promisedMem = baseDemand + count * Math.ceil(dim === 'memoryMb' ? u : 2048);
      // Physically possible (under the capacity) and within what the host may promise.
      if (base + count * u > 0.97 * cap || promisedMem > CAPACITY.memoryMb) {
        if (attempt > 1000) throw new Error('could not build a hotspot');
        continue;
      }
      for (let c = 0; c < count; c++) {
        if (dim === 'cpus')
          addDb(host, { cpus: Math.ceil(u), memoryMb: 2048, diskGb: 40 }, { cpuCores: u, memoryMb: 1500 });
        else addDb(host, { cpus: 1, memoryMb: Math.ceil(u), diskGb: 40 }, { cpuCores: 0.3, memoryMb: u });
      }
      break;
    }
    // The exact minimum, from the host's databases: the fewest biggest uses that take the excess away.
    const uses = mine()
      .map((d) => measured.get(d.id)![key])
      .sort((a, b) => b - a);
    const excess = uses.reduce((s, x) => s + x, 0) - limit;
    let m = 0;
    for (let taken = 0; taken < excess - 1e-9; m++) taken += uses[m];
    if (m !== k) throw new Error(`hotspot built for ${k} moves needs ${m}`);
    minimum.set(host.id, k);
  });
  return { fleet: { hosts, databases }, measured, minimum };
}

interface MixResult {
  name: string;
  arrivals: Arrival[];
  bounds: Resources;
  bound: number;
  ours: PackResult;
  old: PackResult;
}

function runMix(mix: (typeof MIXES)[number], seed: number): MixResult {
  status(`${mix.name}: generating`);
  const hosts = makeHosts(HOSTS);
  const arrivals = makeArrivals(prng(seed), mix.plans);
  // A DRBD database needs its demand on two hosts: the bound counts both replicas.
  const demands = arrivals.flatMap((a) => (a.ha === 'drbd' ? [a.demand, a.demand] : [a.demand]));
  const bounds = lowerBounds(demands, CAPACITY, OVERCOMMIT);
  const bound = Math.max(bounds.cpus, bounds.memoryMb, bounds.diskGb);
  const ours = packBestFit(hosts, arrivals, mix.name);
  const old = packLeastLoaded(hosts, arrivals, mix.name);
  return { name: mix.name, arrivals, bounds, bound, ours, old };
}

function main(): void {
  const mixes = MIXES.map((m) => runMix(m, SEED));

  // N+1 on the first mix's consolidated fleet, then on only the hosts it uses (no spare host to fall back on).
  status('N+1');
  const consolidated = mixes[0].ours.fleet;
  const t1 = performance.now();
  const losses = nPlusOne(consolidated, OVERCOMMIT);
  const n1Seconds = (performance.now() - t1) / 1000;
  const inUse = new Set(
    consolidated.databases.flatMap((db) => (db.peerHostId ? [db.hostId, db.peerHostId] : [db.hostId])),
  );
  const trimmed = nPlusOne(
    { hosts: consolidated.hosts.filter((h) => inUse.has(h.id)), databases: consolidated.databases },
    OVERCOMMIT,
  );

  status('rebalancer');
  const hotCase = makeHotspots(prng(SEED + 1));
  const t2 = performance.now();
  const plan = proposeRebalance(hotCase.fleet, hotCase.measured, THRESHOLDS, OVERCOMMIT);
  const rebalanceMs = performance.now() - t2;
  // Check the outcome independently: apply the moves and measure again.
  const movedTo = new Map(plan.moves.map((m) => [m.databaseId, m.to]));
  const after: Fleet = {
    hosts: hotCase.fleet.hosts,
    databases: hotCase.fleet.databases.map((db) => (movedTo.has(db.id) ? { ...db, hostId: movedTo.get(db.id)! } : db)),
  };
  const loadsAfter = hostLoads(after, hotCase.measured);
  const hotAfter = [...loadsAfter.values()].filter((l) => l.cpu > THRESHOLDS.cpu || l.memory > THRESHOLDS.memory);
  const destinations = new Set(plan.moves.map((m) => m.to));
  const hotDestinations = hotAfter.filter((l) => destinations.has(l.hostId)).length;
  status('done\n');

  const first = mixes[0];
  console.log(
    `\nConsolidation: ${DATABASES} databases (${first.arrivals.filter((a) => a.ha === 'drbd').length} DRBD pairs, ` +
      `${new Set(first.arrivals.map((a) => a.tenantId)).size} tenants, seed ${SEED}) arriving in a random order on ` +
      `${HOSTS} hosts of ${CAPACITY.cpus} cores / ${CAPACITY.memoryMb / 1024} GiB / ${CAPACITY.diskGb} GB, ` +
      `overcommit ${OVERCOMMIT.cpus}/${OVERCOMMIT.memoryMb}/${OVERCOMMIT.diskGb} (cpu/memory/disk)`,
  );
  table(
    [
      'plan mix',
      'strategy',
      'placed',
      'failed',
      'hosts used',
      'lower bound cpu/mem/disk',
      'used / bound',
      'vs least loaded',
      'placements/s',
      `≤ ${TARGET}`,
    ],
    mixes.flatMap((m) =>
      [m.ours, m.old].map((r, i) => {
        const ratio = hostsUsed(r.fleet) / m.bound;
        return [
          m.name,
          i === 0 ? 'best fit (ours)' : 'least loaded (old chooseHost)',
          String(r.placed),
          String(r.failed),
          String(hostsUsed(r.fleet)),
          `${m.bounds.cpus}/${m.bounds.memoryMb}/${m.bounds.diskGb} → ${m.bound}`,
          ratio.toFixed(3),
          (hostsUsed(r.fleet) / hostsUsed(m.old.fleet)).toFixed(3),
          Math.round(m.arrivals.length / r.seconds).toLocaleString('en-US'),
          i === 0 ? (ratio <= TARGET ? 'PASS' : 'FAIL') : '',
        ];
      }),
    ),
  );
  console.log(
    `tenant spread relaxed: ${mixes.map((m) => `${m.ours.relaxed} (${m.name})`).join(', ')}; ` +
      `the least-loaded strategy spreads over every host, so its count is the fleet size`,
  );
  const absorbed = losses.filter((l) => l.fits).length;
  console.log(
    `N+1 on the ${first.name} consolidated fleet: the loss of ${absorbed}/${losses.length} hosts is absorbed ` +
      `(${n1Seconds.toFixed(2)} s for all ${losses.length} simulations); ` +
      `with only the ${trimmed.length} hosts in use: ` +
      `${trimmed.filter((l) => l.fits).length}/${trimmed.length}`,
  );

  const byK = [1, 2, 3].map((k) => [...hotCase.minimum.values()].filter((m) => m === k).length);
  const minMoves = [...hotCase.minimum.values()].reduce((s, m) => s + m, 0);
  const perHost = new Map<string, number>();
  for (const m of plan.moves) perHost.set(m.from, (perHost.get(m.from) ?? 0) + 1);
  const worse = [...hotCase.minimum].filter(([h, m]) => (perHost.get(h) ?? 0) > m).length;
  console.log(
    `\nRebalancer: ${hotCase.fleet.hosts.length} hosts, ${hotCase.fleet.databases.length} databases, ` +
      `thresholds cpu ${THRESHOLDS.cpu} / memory ${THRESHOLDS.memory}`,
  );
  table(
    [
      'hotspots',
      'needing 1/2/3 moves',
      'minimum moves',
      'moves proposed',
      'ratio',
      'hosts above minimum',
      'cleared',
      'destinations hot',
      'ms',
    ],
    [
      [
        String(plan.hotspots.length),
        byK.join('/'),
        String(minMoves),
        String(plan.moves.length),
        (plan.moves.length / minMoves).toFixed(3),
        String(worse),
        `${plan.hotspots.length - hotAfter.length}/${plan.hotspots.length}`,
        String(hotDestinations),
        rebalanceMs.toFixed(0),
      ],
    ],
  );
  if (plan.unresolved.length) console.log(`unresolved: ${plan.unresolved.map((u) => u.reason).join('; ')}`);
}

main();
