import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostCapacity, HostEntity, HostStatus } from '@app/persistence/entities';
import type { HostUsage } from '@app/domain/ports';
import { chooseHost, DEFAULT_OVERCOMMIT } from '@app/domain/placement/least-loaded';
import {
  isPlacement,
  lowerBound,
  lowerBounds,
  placeDatabase,
  promised,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Overcommit,
  type Placement,
  type PlacementFailure,
  type PlacementResult,
  type PlaceRequest,
  type Resources,
} from '@app/domain/placement';

function host(
  id: string,
  opts: { status?: HostStatus; capacity?: Partial<HostCapacity>; storageDriver?: string } = {},
): HostEntity {
  return {
    id,
    name: `host-${id}`,
    status: opts.status ?? 'active',
    storageDriver: opts.storageDriver ?? 'directory',
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100, ...opts.capacity },
  } as HostEntity;
}

function usage(hostId: string, u: Partial<Omit<HostUsage, 'hostId'>>): HostUsage {
  return { hostId, databases: 1, cpus: 0, memoryMb: 0, diskGb: 0, ...u };
}

const small = { plan: { cpus: 1, memoryMb: 1024, diskGb: 10 } };

describe('chooseHost', () => {
  test('default overcommit: 4x CPU, none on memory and disk', () => {
    assert.deepEqual(DEFAULT_OVERCOMMIT, { cpus: 4, memoryMb: 1, diskGb: 1 });
  });

  test('picks the least loaded host by its tightest resource', () => {
    const hosts = [host('a'), host('b'), host('c')];
    const used = [
      usage('a', { memoryMb: 6000 }), // memory-tight
      usage('b', { memoryMb: 1000, diskGb: 20 }),
      usage('c', { diskGb: 80 }), // disk-tight
    ];
    assert.equal(chooseHost(hosts, used, small)?.id, 'b');
  });

  test('a host with no usage row counts as empty and wins', () => {
    const hosts = [host('busy'), host('idle')];
    assert.equal(chooseHost(hosts, [usage('busy', { memoryMb: 100 })], small)?.id, 'idle');
  });

  test('larger hosts win at equal absolute usage (load is relative to capacity)', () => {
    const hosts = [host('small'), host('big', { capacity: { memoryMb: 32768, diskGb: 400 } })];
    const used = [usage('small', { memoryMb: 2048 }), usage('big', { memoryMb: 2048 })];
    assert.equal(chooseHost(hosts, used, small)?.id, 'big');
  });

  test('skips draining, down and fenced hosts even when they are emptier', () => {
    for (const status of ['draining', 'down', 'fenced'] as const) {
      const hosts = [host('off', { status }), host('on')];
      const used = [usage('on', { memoryMb: 4000 })];
      assert.equal(chooseHost(hosts, used, small)?.id, 'on', status);
    }
    assert.equal(chooseHost([host('x', { status: 'draining' }), host('y', { status: 'fenced' })], [], small), null);
  });

  test('CPU may be overcommitted up to 4x', () => {
    const hosts = [host('a', { capacity: { cpus: 2 } })];
    // 7 of 2 cores promised: 7 + 1 = 8 = 2 * 4 still fits.
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 7 })], small)?.id, 'a');
    // 7.5 + 1 > 8: no longer fits.
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 7.5 })], small), null);
  });

  test('memory and disk are not overcommitted', () => {
    const hosts = [host('a')];
    assert.equal(chooseHost(hosts, [usage('a', { memoryMb: 8192 - 1024 })], small)?.id, 'a'); // exactly full
    assert.equal(chooseHost(hosts, [usage('a', { memoryMb: 8192 - 1023 })], small), null);
    assert.equal(chooseHost(hosts, [usage('a', { diskGb: 91 })], small), null);
  });

  test('a custom overcommit applies per resource', () => {
    const hosts = [host('a')];
    const used = [usage('a', { memoryMb: 12000 })];
    assert.equal(chooseHost(hosts, used, small), null);
    assert.equal(chooseHost(hosts, used, small, { cpus: 4, memoryMb: 2, diskGb: 1 })?.id, 'a');
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 4 })], small, { cpus: 1, memoryMb: 1, diskGb: 1 }), null);
  });

  test('returns null when no host has room, or there are no hosts', () => {
    const huge = { plan: { cpus: 1, memoryMb: 65536, diskGb: 10 } };
    assert.equal(chooseHost([host('a'), host('b')], [], huge), null);
    assert.equal(chooseHost([], [], small), null);
  });

  test('filters by storage driver when one is requested', () => {
    const hosts = [host('dir'), host('san', { storageDriver: 'san' })];
    const used = [usage('dir', { memoryMb: 7000 })];
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'san' })?.id, 'san');
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'directory' })?.id, 'dir');
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'lvm' }), null);
    // Without a filter the emptier host wins, whatever its driver.
    assert.equal(chooseHost(hosts, used, small)?.id, 'san');
  });

  test('the host order does not decide between differently loaded hosts', () => {
    const used = [usage('a', { diskGb: 50 }), usage('b', { diskGb: 10 })];
    assert.equal(chooseHost([host('a'), host('b')], used, small)?.id, 'b');
    assert.equal(chooseHost([host('b'), host('a')], used, small)?.id, 'b');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The pure placement logic (libs/domain/src/placement): consolidation, failure domains, tenant spread.

type Ha = FleetDatabase['ha'];

function fleetHost(
  name: string,
  labels: Record<string, string> = {},
  opts: { status?: HostStatus; capacity?: Partial<Resources>; storageDriver?: string } = {},
): FleetHost {
  return {
    id: name,
    name,
    status: opts.status ?? 'active',
    labels,
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 128, ...opts.capacity },
    storageDriver: opts.storageDriver ?? 'directory',
  };
}

/** Memory and disk used in proportion (64 MB per GB, as the test hosts have them). */
const used = (memoryMb: number) => ({ memoryMb, diskGb: memoryMb / 64 });

let dbCounter = 0;
function fleetDb(
  hostId: string,
  demand: Partial<Resources>,
  opts: { tenantId?: string; ha?: Ha; peer?: string; id?: string } = {},
): FleetDatabase {
  return {
    id: opts.id ?? `db-${++dbCounter}`,
    tenantId: opts.tenantId ?? 'other',
    hostId,
    peerHostId: opts.peer ?? null,
    demand: { cpus: 0, memoryMb: 0, diskGb: 0, ...demand },
    ha: opts.ha ?? (opts.peer ? 'drbd' : 'none'),
  };
}

const NO_OVERCOMMIT: Overcommit = { cpus: 1, memoryMb: 1, diskGb: 1 };
const CPU_4X: Overcommit = { cpus: 4, memoryMb: 1, diskGb: 1 };
const oneGb = { cpus: 1, ...used(1024) };

function placed(r: PlacementResult): Placement {
  assert.ok(isPlacement(r), `expected a placement, got ${JSON.stringify(r)}`);
  return r;
}

function refused(r: PlacementResult): PlacementFailure {
  assert.ok(!isPlacement(r), `expected a refusal, got ${JSON.stringify(r)}`);
  return r;
}

const place = (fleet: Fleet, req: Partial<PlaceRequest> = {}, overcommit = CPU_4X) =>
  placeDatabase(fleet, { tenantId: 't', demand: oneGb, ha: 'none', ...req }, overcommit);

describe('placeDatabase: consolidation (best fit)', () => {
  test('packs onto the host already in use rather than an empty one', () => {
    const fleet = { hosts: [fleetHost('a-empty'), fleetHost('b-used')], databases: [fleetDb('b-used', oneGb)] };
    const r = placed(place(fleet));
    assert.equal(r.hostId, 'b-used');
    assert.equal(r.peerHostId, null);
    assert.equal(r.spreadRelaxed, false);
  });

  test('a used host with just enough room wins over a bigger empty one', () => {
    const fleet = {
      hosts: [fleetHost('big', {}, { capacity: { memoryMb: 65536, diskGb: 1000 } }), fleetHost('small')],
      databases: [fleetDb('small', { memoryMb: 8192 - 1024 })],
    };
    assert.equal(placed(place(fleet)).hostId, 'small');
  });

  test('among used hosts, the one left tightest', () => {
    const fleet = {
      hosts: [fleetHost('a'), fleetHost('b'), fleetHost('c')],
      databases: [
        fleetDb('a', used(2048)),
        fleetDb('b', used(6144)), // the fullest that still has room
        fleetDb('c', used(4096)),
      ],
    };
    assert.equal(placed(place(fleet)).hostId, 'b');
  });

  test('memory and disk fill together: a disk-heavy database goes where disk is idle, not to the fuller host', () => {
    const fleet = {
      hosts: [fleetHost('disk-busy'), fleetHost('memory-busy')],
      databases: [
        fleetDb('disk-busy', { memoryMb: 2048, diskGb: 96 }), // 25% memory, 75% disk: the fuller one
        fleetDb('memory-busy', { memoryMb: 6144, diskGb: 8 }), // 75% memory, 6% disk
      ],
    };
    // On disk-busy it would leave 69% of the memory next to 6% of the disk: memory nobody can use.
    assert.equal(placed(place(fleet, { demand: { cpus: 0.5, memoryMb: 512, diskGb: 24 } })).hostId, 'memory-busy');
  });

  test('ties are broken by name, whatever the order of the hosts', () => {
    const hosts = [fleetHost('b'), fleetHost('a'), fleetHost('c')];
    assert.equal(placed(place({ hosts, databases: [] })).hostId, 'a');
    assert.equal(placed(place({ hosts: [...hosts].reverse(), databases: [] })).hostId, 'a');
  });

  test('draining, down and fenced hosts take nothing, even when they are the only ones with room', () => {
    for (const status of ['draining', 'down', 'fenced'] as const) {
      const fleet = {
        hosts: [fleetHost('off', {}, { status }), fleetHost('on')],
        databases: [fleetDb('off', { memoryMb: 512 }), fleetDb('on', { memoryMb: 1024 })],
      };
      assert.equal(placed(place(fleet)).hostId, 'on', status);
      const full = { ...fleet, databases: [fleetDb('on', { memoryMb: 8192 })] };
      const f = refused(place(full));
      assert.equal(f.code, 'no-capacity', status);
      assert.equal(f.reason, 'no active host has 1024 MB of memory free (best: on 0 of 8192 × 1 allocatable)');
    }
    const none = refused(
      place({
        hosts: [
          fleetHost('x', {}, { status: 'draining' }),
          fleetHost('y', {}, { status: 'down' }),
          fleetHost('z', {}, { status: 'fenced' }),
        ],
        databases: [],
      }),
    );
    assert.equal(none.code, 'no-host');
    assert.equal(none.reason, 'no active host (3 hosts: 1 draining, 1 down, 1 fenced)');
  });

  test('CPU fits at 4× overcommit but not at 1×', () => {
    const fleet = { hosts: [fleetHost('a')], databases: [fleetDb('a', { cpus: 3.5 })] };
    // 3.5 + 1 > 4 cores, but within 4 × 4 = 16.
    assert.equal(placed(place(fleet, {}, CPU_4X)).hostId, 'a');
    const f = refused(place(fleet, {}, NO_OVERCOMMIT));
    assert.equal(f.code, 'no-capacity');
    assert.equal(f.reason, 'no active host has 1 CPU free (best: a 0.5 of 4 × 1 allocatable)');
    // The ratio is a ceiling too: 15.5 + 1 > 16.
    const busy = { hosts: [fleetHost('a')], databases: [fleetDb('a', { cpus: 15.5 })] };
    assert.equal(
      refused(place(busy, {}, CPU_4X)).reason,
      'no active host has 1 CPU free (best: a 0.5 of 4 × 4 allocatable)',
    );
  });

  test('nothing fits: the tightest resource and the best host are named', () => {
    const fleet = {
      hosts: [fleetHost('a'), fleetHost('b')],
      databases: [fleetDb('a', { memoryMb: 7168 }), fleetDb('b', { memoryMb: 5120 })],
    };
    const f = refused(place(fleet, { demand: { cpus: 1, memoryMb: 4096, diskGb: 10 } }));
    assert.equal(f.code, 'no-capacity');
    assert.equal(f.reason, 'no active host has 4096 MB of memory free (best: b 3072 of 8192 × 1 allocatable)');
    // Disk, with a storage driver named in the text.
    const disk = refused(place(fleet, { demand: { cpus: 1, memoryMb: 512, diskGb: 150 }, storageDriver: 'directory' }));
    assert.equal(
      disk.reason,
      'no active host with storage driver directory has 150 GB of disk free (best: a 128 of 128 × 1 allocatable)',
    );
  });

  test('nothing fits although each resource alone would: the closest host is named', () => {
    const fleet = {
      hosts: [fleetHost('a'), fleetHost('b')],
      databases: [fleetDb('a', { cpus: 4 }), fleetDb('b', { memoryMb: 8192 })], // a: no CPU left, b: no memory
    };
    const f = refused(place(fleet, {}, NO_OVERCOMMIT));
    assert.equal(f.code, 'no-capacity');
    assert.equal(
      f.reason,
      'no active host has 1 CPU, 1024 MB of memory and 16 GB of disk free at once (closest: b, with 0 MB of memory free of 8192 × 1)',
    );
  });

  test('storage driver and accept() filter; none left is no-host', () => {
    const fleet = {
      hosts: [fleetHost('dir'), fleetHost('san', {}, { storageDriver: 'san-lvm' })],
      databases: [fleetDb('dir', oneGb)],
    };
    assert.equal(placed(place(fleet, { storageDriver: 'san-lvm' })).hostId, 'san');
    assert.equal(placed(place(fleet, { accept: (h) => h.name !== 'dir' })).hostId, 'san');
    const f = refused(place(fleet, { storageDriver: 'lvm' }));
    assert.equal(f.code, 'no-host');
    assert.equal(f.reason, 'no active host with storage driver lvm (2 hosts: 2 active)');
    assert.equal(
      refused(place(fleet, { accept: () => false })).reason,
      "no active host meets the request's conditions (2 hosts: 2 active)",
    );
  });
});

describe('placeDatabase: failure domains (DRBD)', () => {
  const drbd = { ha: 'drbd' as const };

  test('the peer is never in the same rack, even when that pair would pack best', () => {
    const fleet = {
      hosts: [fleetHost('a', { rack: 'r1' }), fleetHost('b', { rack: 'r1' }), fleetHost('c', { rack: 'r2' })],
      databases: [fleetDb('a', used(4096)), fleetDb('b', used(2048))],
    };
    const r = placed(place(fleet, drbd));
    assert.deepEqual([r.hostId, r.peerHostId], ['a', 'c']);
  });

  test('nor on the same hypervisor, even across racks', () => {
    const fleet = {
      hosts: [
        fleetHost('a', { rack: 'r1', hypervisor: 'x' }),
        fleetHost('b', { rack: 'r2', hypervisor: 'x' }),
        fleetHost('c', { rack: 'r3', hypervisor: 'y' }),
      ],
      databases: [fleetDb('a', used(4096)), fleetDb('b', used(4096))],
    };
    const r = placed(place(fleet, drbd));
    assert.equal(r.peerHostId, 'c');
    assert.equal(r.hostId, 'a');
  });

  test('the pair with the best combined fit, both replicas fitting', () => {
    const fleet = {
      hosts: [
        fleetHost('a', { rack: 'r1' }),
        fleetHost('b', { rack: 'r1' }),
        fleetHost('c', { rack: 'r2' }),
        fleetHost('d', { rack: 'r3' }),
        fleetHost('e', { rack: 'r4' }),
      ],
      databases: [
        fleetDb('a', used(2048)),
        fleetDb('b', used(6144)), // fullest, rack r1
        fleetDb('c', used(4096)), // second fullest outside r1
        fleetDb('d', used(7680)), // fuller still, but no room for 1 GB more
        fleetDb('e', used(1024)),
      ],
    };
    const r = placed(place(fleet, drbd));
    assert.deepEqual([r.hostId, r.peerHostId], ['b', 'c']);
  });

  test('acceptPeer filters the peer only', () => {
    const fleet = {
      hosts: [fleetHost('a', { rack: 'r1' }), fleetHost('b', { rack: 'r2' }), fleetHost('c', { rack: 'r3' })],
      databases: [fleetDb('a', used(4096)), fleetDb('b', used(4096))],
    };
    const r = placed(place(fleet, { ...drbd, acceptPeer: (h) => h.name === 'c' }));
    assert.deepEqual([r.hostId, r.peerHostId], ['a', 'c']);
    const f = refused(place(fleet, { ...drbd, acceptPeer: () => false }));
    assert.equal(f.code, 'no-host');
    assert.equal(f.reason, "no active host meets the request's conditions (3 hosts: 3 active) for the DRBD peer");
  });

  test('room only within one failure domain is no-failure-domain', () => {
    const fleet = {
      hosts: [fleetHost('a', { rack: 'r1' }), fleetHost('b', { rack: 'r1' }), fleetHost('c', { rack: 'r2' })],
      databases: [fleetDb('c', { memoryMb: 8192 })],
    };
    const f = refused(place(fleet, drbd));
    assert.equal(f.code, 'no-failure-domain');
    assert.equal(
      f.reason,
      'capacity exists on a, b, but no two of them are in different failure domains ' +
        '(a DRBD peer never shares the host, rack or hypervisor with its primary)',
    );
    // Without DRBD the same fleet takes it.
    assert.equal(placed(place(fleet)).hostId, 'a');
  });

  test('a single host with room is a capacity shortage for DRBD', () => {
    const fleet = {
      hosts: [fleetHost('a', { rack: 'r1' }), fleetHost('b', { rack: 'r2' })],
      databases: [fleetDb('b', { memoryMb: 7680 })],
    };
    const f = refused(place(fleet, drbd));
    assert.equal(f.code, 'no-capacity');
    assert.equal(
      f.reason,
      'only a has room; no other active host has 1024 MB of memory free (best: b 512 of 8192 × 1 allocatable) for the DRBD peer',
    );
  });

  test('a DRBD database is promised on both replicas', () => {
    const fleet = {
      hosts: [fleetHost('a', { rack: 'r1' }), fleetHost('b', { rack: 'r2' }), fleetHost('c', { rack: 'r3' })],
      databases: [fleetDb('a', { cpus: 1, memoryMb: 6144, diskGb: 10 }, { peer: 'b' }), fleetDb('a', { cpus: 0.5 })],
    };
    const p = promised(fleet);
    assert.deepEqual(p.get('a'), { cpus: 1.5, memoryMb: 6144, diskGb: 10 });
    assert.deepEqual(p.get('b'), { cpus: 1, memoryMb: 6144, diskGb: 10 });
    assert.deepEqual(p.get('c'), { cpus: 0, memoryMb: 0, diskGb: 0 });
    // b holds the secondary's room: 4 GB more does not fit there.
    const big = { cpus: 1, memoryMb: 4096, diskGb: 10 };
    assert.equal(placed(place(fleet, { demand: big })).hostId, 'c');
  });
});

describe('placeDatabase: room reserved for databases on their way (a move or a failover in flight)', () => {
  test('the target of a move holds the room; it does not count as a database there', () => {
    const fleet: Fleet = {
      hosts: [fleetHost('a'), fleetHost('b', {}, { capacity: { memoryMb: 2048, diskGb: 32 } })],
      databases: [fleetDb('a', { cpus: 1, memoryMb: 7680, diskGb: 120 }, { id: 'moving', tenantId: 't' })],
      reserved: [{ databaseId: 'moving', hostId: 'b', demand: { cpus: 1, memoryMb: 2048, diskGb: 32 } }],
    };
    // The moving database is promised where it is and where it goes.
    assert.deepEqual(promised(fleet).get('a'), { cpus: 1, memoryMb: 7680, diskGb: 120 });
    assert.deepEqual(promised(fleet).get('b'), { cpus: 1, memoryMb: 2048, diskGb: 32 });
    const r = refused(place(fleet, { demand: { cpus: 1, memoryMb: 1024, diskGb: 16 } }));
    assert.match(r.reason, /memory|disk/i);
    // Without the reservation, b takes it.
    assert.equal(
      placed(place({ ...fleet, reserved: [] }, { demand: { cpus: 1, memoryMb: 1024, diskGb: 16 } })).hostId,
      'b',
    );
  });
});

describe('placeDatabase: tenant spread', () => {
  // Hypervisors x and y carry one database each of tenant T; z is empty.
  const hosts = [
    fleetHost('x1', { hypervisor: 'x' }),
    fleetHost('y1', { hypervisor: 'y' }),
    fleetHost('z1', { hypervisor: 'z' }),
  ];
  const tenantDbs = [fleetDb('x1', used(4096), { tenantId: 'T' }), fleetDb('y1', used(2048), { tenantId: 'T' })];

  test("hard: the tenant's third database goes to a third hypervisor, although best fit says x1", () => {
    const fleet = { hosts, databases: tenantDbs };
    assert.equal(placed(place(fleet, { tenantId: 'other' })).hostId, 'x1'); // what best fit wants
    const r = placed(place(fleet, { tenantId: 'T' }));
    assert.equal(r.hostId, 'z1');
    assert.equal(r.spreadRelaxed, false);
  });

  test('below 3 databases there is no rule', () => {
    const fleet = { hosts, databases: [tenantDbs[0]] };
    assert.deepEqual(placed(place(fleet, { tenantId: 'T' })), {
      hostId: 'x1',
      peerHostId: null,
      score: placed(place(fleet, { tenantId: 'other' })).score,
      spreadRelaxed: false,
    });
  });

  test('at 4 databases, two on one hypervisor are allowed (not more than half)', () => {
    const fleet = { hosts, databases: [...tenantDbs, fleetDb('z1', used(1024), { tenantId: 'T' })] };
    assert.equal(placed(place(fleet, { tenantId: 'T' })).hostId, 'x1');
  });

  test('relaxed, and reported, when no feasible host keeps it', () => {
    const fleet = { hosts: hosts.slice(0, 2), databases: tenantDbs };
    const r = placed(place(fleet, { tenantId: 'T' }));
    assert.equal(r.hostId, 'x1');
    assert.equal(r.spreadRelaxed, true);
    // z1 exists but is full: the same.
    const full = { hosts, databases: [...tenantDbs, fleetDb('z1', { memoryMb: 8192 })] };
    assert.equal(placed(place(full, { tenantId: 'T' })).spreadRelaxed, true);
  });

  test('an unlabelled host is its own hypervisor', () => {
    const fleet = {
      hosts: [fleetHost('p'), fleetHost('q')],
      databases: [
        fleetDb('p', used(4096), { tenantId: 'T' }),
        fleetDb('q', used(1024), { tenantId: 'T' }),
        fleetDb('q', used(1024), { tenantId: 'T' }),
      ],
    };
    // 4 databases: at most 2 per hypervisor; q has 2 already, p (fuller, 1) takes it.
    const r = placed(place(fleet, { tenantId: 'T' }));
    assert.equal(r.hostId, 'p');
    assert.equal(r.spreadRelaxed, false);
  });

  test('DRBD: the primary keeps the spread', () => {
    const racked = hosts.map((h, i) => ({ ...h, labels: { ...h.labels, rack: `r${i}` } }));
    const r = placed(place({ hosts: racked, databases: tenantDbs }, { tenantId: 'T', ha: 'drbd' }));
    assert.equal(r.hostId, 'z1');
    assert.equal(r.spreadRelaxed, false);
  });
});

describe('lowerBound', () => {
  test('the max over resources of ceil(total / allocatable)', () => {
    const cap = { cpus: 4, memoryMb: 8192, diskGb: 100 };
    const demands = [
      { cpus: 4, memoryMb: 4096, diskGb: 10 },
      { cpus: 4, memoryMb: 4096, diskGb: 10 },
      { cpus: 1, memoryMb: 1, diskGb: 10 },
    ];
    assert.deepEqual(lowerBounds(demands, cap, CPU_4X), { cpus: 1, memoryMb: 2, diskGb: 1 });
    assert.equal(lowerBound(demands, cap, CPU_4X), 2);
    assert.equal(lowerBound(demands, cap, NO_OVERCOMMIT), 3);
    assert.equal(lowerBound([], cap, CPU_4X), 0);
    // Exactly full is one host, not two (float sums).
    assert.equal(
      lowerBound(
        [
          { cpus: 0.1, memoryMb: 0, diskGb: 0 },
          { cpus: 0.2, memoryMb: 0, diskGb: 0 },
        ],
        { cpus: 0.3, memoryMb: 1, diskGb: 1 },
        NO_OVERCOMMIT,
      ),
      1,
    );
  });
});
