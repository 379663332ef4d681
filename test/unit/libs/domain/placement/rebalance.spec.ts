import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostLoads,
  proposeRebalance,
  volume,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Measured,
  type RebalancePlan,
} from '@app/domain/placement';

// Hosts of 10 cores and 10,000 MB, so measured sums read directly as fractions.
const THRESHOLDS = { cpu: 0.75, memory: 0.85 };
const OVERCOMMIT = { cpus: 4, memoryMb: 1, diskGb: 1 };

class FleetBuilder {
  readonly hosts: FleetHost[] = [];
  readonly databases: FleetDatabase[] = [];
  readonly measured = new Map<string, Measured>();

  host(name: string, labels: Record<string, string> = {}, status: FleetHost['status'] = 'active'): this {
    this.hosts.push({
      id: name,
      name,
      status,
      labels: { hypervisor: `hv-${name}`, ...labels },
      capacity: { cpus: 10, memoryMb: 10_000, diskGb: 1000 },
      storageDriver: 'directory',
    });
    return this;
  }

  /** A database using `cores` and `memoryMb`; its plan promises at least that (1 core, 10 GB disk minimum). */
  db(
    id: string,
    hostId: string,
    cores: number,
    memoryMb: number,
    opts: { tenantId?: string; ha?: FleetDatabase['ha']; peer?: string; netMbps?: number; demandCpus?: number } = {},
  ): this {
    this.databases.push({
      id,
      tenantId: opts.tenantId ?? `tenant-${id}`,
      hostId,
      peerHostId: opts.peer ?? null,
      demand: { cpus: opts.demandCpus ?? Math.max(1, Math.ceil(cores)), memoryMb: Math.max(memoryMb, 256), diskGb: 10 },
      ha: opts.ha ?? (opts.peer ? 'drbd' : 'none'),
    });
    this.measured.set(id, { cpuCores: cores, memoryMb, netMbps: opts.netMbps });
    return this;
  }

  /** `count` identical databases named `${prefix}-1..n`. */
  many(prefix: string, hostId: string, count: number, cores: number, memoryMb: number): this {
    for (let i = 1; i <= count; i++) this.db(`${prefix}-${i}`, hostId, cores, memoryMb);
    return this;
  }

  get fleet(): Fleet {
    return { hosts: this.hosts, databases: this.databases };
  }

  propose(opts?: Parameters<typeof proposeRebalance>[4]): RebalancePlan {
    return proposeRebalance(this.fleet, this.measured, THRESHOLDS, OVERCOMMIT, opts);
  }
}

/** The fleet after the moves, measured again. */
function loadsAfter(b: FleetBuilder, plan: RebalancePlan) {
  const to = new Map(plan.moves.map((m) => [m.databaseId, m.to]));
  const fleet = { hosts: b.hosts, databases: b.databases.map((db) => ({ ...db, hostId: to.get(db.id) ?? db.hostId })) };
  return hostLoads(fleet, b.measured);
}

function assertNoHotspotAfter(b: FleetBuilder, plan: RebalancePlan): void {
  for (const l of loadsAfter(b, plan).values()) {
    assert.ok(
      l.cpu <= THRESHOLDS.cpu + 1e-9 && l.memory <= THRESHOLDS.memory + 1e-9,
      `${l.hostId} hot: ${JSON.stringify(l)}`,
    );
  }
}

describe('proposeRebalance', () => {
  test('no hotspot, no move', () => {
    const b = new FleetBuilder().host('a').host('b').many('x', 'a', 7, 1, 1000).many('y', 'b', 2, 1, 4000);
    assert.deepEqual(b.propose(), { hotspots: [], moves: [], unresolved: [] });
  });

  test('measured load is the sum of the databases over the capacity; volume is Sandpiper’s', () => {
    const b = new FleetBuilder().host('a').db('d1', 'a', 2, 1000).db('d2', 'a', 3, 4000);
    assert.deepEqual(hostLoads(b.fleet, b.measured).get('a'), { hostId: 'a', cpu: 0.5, memory: 0.5, net: 0 });
    assert.equal(volume({ cpu: 0.5, memory: 0.5, net: 0 }), 4);
  });

  test('one hotspot that one move can clear gets exactly one: the cheapest that suffices', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .host('c2')
      .db('small', 'hot', 0.6, 600) // clears it (0.4 core over), smallest footprint
      .db('tiny', 'hot', 0.3, 300) // cheaper, but not enough
      .db('big', 'hot', 4, 3000)
      .db('mid', 'hot', 3, 1000)
      .db('c1-load', 'c1', 3, 1000)
      .db('c2-load', 'c2', 1, 1000);
    const plan = b.propose();
    assert.deepEqual(
      plan.hotspots.map((h) => [h.hostId, +h.cpu.toFixed(2)]),
      [['hot', 0.79]],
    );
    assert.deepEqual(
      plan.moves.map((m) => [m.databaseId, m.from, m.to]),
      [['small', 'hot', 'c2']], // c2: the least loaded
    );
    assert.match(plan.moves[0].reason, /^hot over cpu \(79% > 75%\): this move alone clears it$/);
    assert.deepEqual(plan.unresolved, []);
    assertNoHotspotAfter(b, plan);
  });

  test('a hotspot that needs two moves gets two, and three when three are needed', () => {
    const two = new FleetBuilder().host('hot').host('c1').host('c2').many('d', 'hot', 9, 1, 500); // 0.9: 1.5 over
    const plan2 = two.propose();
    assert.equal(plan2.moves.length, 2);
    assert.ok(plan2.moves.every((m) => m.from === 'hot'));
    assert.equal(loadsAfter(two, plan2).get('hot')!.cpu, 0.7);
    assertNoHotspotAfter(two, plan2);

    const three = new FleetBuilder().host('hot').host('c1').host('c2').many('d', 'hot', 10, 1, 500); // 2.5 over
    const plan3 = three.propose();
    assert.equal(plan3.moves.length, 3);
    assert.equal(loadsAfter(three, plan3).get('hot')!.cpu, 0.7);
    assertNoHotspotAfter(three, plan3);
  });

  test('the fewest moves on a memory hotspot: one big database, not several small ones', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .many('small', 'hot', 10, 0.1, 300) // high volume-to-size ratio, tiny relief each
      .db('cache', 'hot', 0.2, 6000); // 9,000 MB = 90%: 500 MB over
    const plan = b.propose();
    assert.deepEqual(
      plan.moves.map((m) => m.databaseId),
      ['cache'],
    );
  });

  test('a destination never becomes a hotspot: the least loaded host is skipped when the move would heat it', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .host('c2')
      .db('mover', 'hot', 2, 500) // the only single database that clears it (1 core over)
      .many('rest', 'hot', 13, 0.5, 100)
      .db('c1-load', 'c1', 6, 100) // volume 2.5: the least loaded, but 0.6 + 0.2 > 0.75
      .db('c2-load', 'c2', 3, 5000); // volume 2.86
    const plan = b.propose();
    assert.deepEqual(
      plan.moves.map((m) => [m.databaseId, m.to]),
      [['mover', 'c2']],
    );
    assertNoHotspotAfter(b, plan);
  });

  test('later moves see earlier ones', () => {
    const b = new FleetBuilder()
      .host('hot1')
      .host('hot2')
      .host('c1')
      .host('c2')
      .db('m1', 'hot1', 3, 1000)
      .many('a', 'hot1', 11, 0.5, 100) // hot1: 0.85, only m1 clears it alone
      .db('m2', 'hot2', 3, 1000)
      .many('b', 'hot2', 11, 0.5, 100) // hot2: the same
      .db('c1-load', 'c1', 3, 100) // 0.3: takes one 3-core database, not two
      .db('c2-load', 'c2', 4, 100); // 0.4
    const plan = b.propose();
    assert.deepEqual(
      plan.moves.map((m) => [m.databaseId, m.to]),
      [
        ['m1', 'c1'],
        ['m2', 'c2'],
      ],
    );
    assertNoHotspotAfter(b, plan);
  });

  test('a destination must have promised room (with overcommit)', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .host('c2')
      .db('mover', 'hot', 2, 500)
      .many('rest', 'hot', 13, 0.5, 100)
      .db('idle-but-promised', 'c1', 0, 100, { demandCpus: 39 }) // 39 + 2 > 10 × 4
      .db('c2-load', 'c2', 3, 100);
    assert.deepEqual(
      b.propose().moves.map((m) => [m.databaseId, m.to]),
      [['mover', 'c2']],
    );
  });

  test('HA databases are never moved; an HA-only hotspot is reported, not moved', () => {
    const b = new FleetBuilder()
      .host('hot', { rack: 'r1' })
      .host('c1', { rack: 'r2' })
      .host('peer', { rack: 'r3' })
      .db('replicated', 'hot', 4, 2000, { peer: 'peer' }) // would clear it alone
      .many('plain', 'hot', 8, 0.5, 100); // 8 cores: 0.5 over
    const plan = b.propose();
    assert.equal(plan.moves.length, 1);
    assert.match(plan.moves[0].databaseId, /^plain-/);

    const haOnly = new FleetBuilder()
      .host('hot', { rack: 'r1' })
      .host('c1', { rack: 'r2' })
      .db('r1', 'hot', 5, 1000, { peer: 'c1' })
      .db('r2', 'hot', 4, 1000, { ha: 'san' });
    const p2 = haOnly.propose();
    assert.deepEqual(p2.moves, []);
    assert.deepEqual(p2.unresolved, [
      {
        hostId: 'hot',
        reason:
          'hot over cpu (90% > 75%): no database that can be moved; 2 HA database(s) could be switched over to a peer instead',
      },
    ]);
  });

  test('no move breaks the tenant spread', () => {
    // Tenant T: 2 databases on hot, 2 on c1 (the least loaded). A third on c1 would be 3 of 4 on one hypervisor.
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .host('c2')
      .db('t-big', 'hot', 2, 500, { tenantId: 'T' })
      .db('t-2', 'hot', 0.5, 100, { tenantId: 'T' })
      .many('rest', 'hot', 12, 0.5, 100) // hot: 8.5 cores, 1 over: only t-big clears it alone
      .db('t-3', 'c1', 0.5, 100, { tenantId: 'T' })
      .db('t-4', 'c1', 0.5, 100, { tenantId: 'T' })
      .db('c2-load', 'c2', 3, 100);
    const plan = b.propose();
    assert.deepEqual(
      plan.moves.map((m) => [m.databaseId, m.to]),
      [['t-big', 'c2']],
    );
  });

  test('no move goes to a host that is not active, nor to another storage driver', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('drained', {}, 'draining')
      .host('gone', {}, 'down')
      .host('c1')
      .db('mover', 'hot', 2, 500)
      .many('rest', 'hot', 13, 0.5, 100)
      .db('c1-load', 'c1', 3, 100);
    b.hosts.push({ ...b.hosts[3], id: 'san', name: 'san', storageDriver: 'san-lvm', labels: {} });
    assert.deepEqual(
      b.propose().moves.map((m) => [m.databaseId, m.to]),
      [['mover', 'c1']],
    );
  });

  test('network hotspots count only with a host network capacity', () => {
    const b = new FleetBuilder()
      .host('hot')
      .host('c1')
      .db('streamer', 'hot', 0.5, 2000, { netMbps: 700 })
      .db('other', 'hot', 0.5, 500, { netMbps: 200 });
    assert.deepEqual(b.propose().hotspots, []);
    const plan = proposeRebalance(b.fleet, b.measured, { ...THRESHOLDS, net: 0.8 }, OVERCOMMIT, { hostNetMbps: 1000 });
    assert.deepEqual(plan.hotspots, [{ hostId: 'hot', cpu: 0.1, memory: 0.25, net: 0.9 }]);
    assert.deepEqual(
      plan.moves.map((m) => [m.databaseId, m.to]),
      [['other', 'c1']], // both suffice: the cheaper (smaller footprint) moves
    );
  });

  test('maxMoves caps the plan; the rest is reported unresolved', () => {
    const b = new FleetBuilder()
      .host('hot1')
      .host('hot2')
      .host('c1')
      .host('c2')
      .many('a', 'hot1', 9, 1, 100) // 0.9
      .many('b', 'hot2', 8, 1, 100); // 0.8
    const plan = b.propose({ maxMoves: 2 });
    assert.equal(plan.moves.length, 2);
    assert.ok(plan.moves.every((m) => m.from === 'hot1')); // the hotter first
    assert.deepEqual(plan.unresolved, [
      { hostId: 'hot2', reason: 'hot2 over cpu (80% > 75%): the move budget (2) is spent' },
    ]);
  });
});
