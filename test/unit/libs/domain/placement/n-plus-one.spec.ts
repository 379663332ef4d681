import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nPlusOne,
  simulateHostLoss,
  type Fleet,
  type FleetDatabase,
  type FleetHost,
  type Resources,
} from '@app/domain/placement';

const OVERCOMMIT = { cpus: 4, memoryMb: 1, diskGb: 1 };
const BIG = { cpus: 32, memoryMb: 65536, diskGb: 1000 };
const SMALL = { cpus: 8, memoryMb: 8192, diskGb: 200 };

function host(name: string, capacity: Resources, rack: string, status: FleetHost['status'] = 'active'): FleetHost {
  return { id: name, name, status, labels: { rack }, capacity, storageDriver: 'directory' };
}

function db(
  id: string,
  hostId: string,
  memoryMb: number,
  opts: { peer?: string; ha?: FleetDatabase['ha']; tenantId?: string } = {},
): FleetDatabase {
  return {
    id,
    tenantId: opts.tenantId ?? `tenant-${id}`,
    hostId,
    peerHostId: opts.peer ?? null,
    demand: { cpus: 1, memoryMb, diskGb: 10 },
    ha: opts.ha ?? (opts.peer ? 'drbd' : 'none'),
  };
}

/** One big host carrying a database no small host can take, two small hosts. */
function bigAndSmall(): Fleet {
  return {
    hosts: [host('big', BIG, 'r1'), host('s1', SMALL, 'r2'), host('s2', SMALL, 'r3')],
    databases: [
      db('huge', 'big', 16384),
      db('b-small', 'big', 1024),
      db('b-medium', 'big', 2048),
      db('s1-db', 's1', 4096),
      db('s2-db', 's2', 2048),
    ],
  };
}

describe('nPlusOne', () => {
  test('losing the big host cannot be absorbed: the database with no place is named, with the reason', () => {
    const loss = simulateHostLoss(bigAndSmall(), 'big', OVERCOMMIT);
    assert.equal(loss.fits, false);
    assert.equal(loss.databases, 3);
    assert.deepEqual(loss.placements, [
      {
        databaseId: 'huge',
        to: null,
        reason: 'no active host has 16384 MB of memory free (best: s2 6144 of 8192 × 1 allocatable)',
      },
      { databaseId: 'b-small', to: 's2' },
      { databaseId: 'b-medium', to: 's2' },
    ]);
  });

  test('with a spare big host the same loss is absorbed', () => {
    const fleet = bigAndSmall();
    fleet.hosts.push(host('spare', BIG, 'r4'));
    const loss = simulateHostLoss(fleet, 'big', OVERCOMMIT);
    assert.equal(loss.fits, true);
    assert.equal(loss.placements.find((p) => p.databaseId === 'huge')?.to, 'spare');
    assert.ok(loss.placements.every((p) => p.to !== null && p.reason === undefined));
  });

  test('every active or draining host is simulated, in name order; down and fenced ones are not', () => {
    const fleet = bigAndSmall();
    fleet.hosts.push(host('a-draining', SMALL, 'r5', 'draining'), host('z-down', SMALL, 'r6', 'down'));
    fleet.hosts.push(host('y-fenced', SMALL, 'r7', 'fenced'));
    const report = nPlusOne(fleet, OVERCOMMIT);
    assert.deepEqual(
      report.map((l) => [l.name, l.databases, l.fits]),
      [
        ['a-draining', 0, true],
        ['big', 3, false],
        ['s1', 1, true],
        ['s2', 1, true],
      ],
    );
    // A small host's database goes to the big one (the only host left with 4 GB free besides s2's 6 GB).
    assert.deepEqual(report[2].placements, [{ databaseId: 's1-db', to: 'big' }]);
  });

  test('the survivors never take from a draining host: it receives nothing', () => {
    const fleet: Fleet = {
      hosts: [host('lost', SMALL, 'r1'), host('draining', BIG, 'r2', 'draining'), host('small', SMALL, 'r3')],
      databases: [db('x', 'lost', 6144), db('y', 'small', 4096)],
    };
    const loss = simulateHostLoss(fleet, 'lost', OVERCOMMIT);
    assert.equal(loss.fits, false);
    assert.equal(
      loss.placements[0].reason,
      'no active host has 6144 MB of memory free (best: small 4096 of 8192 × 1 allocatable)',
    );
  });

  test('DRBD databases fail over to their peer, whose room is already reserved', () => {
    const fleet: Fleet = {
      hosts: [host('a', SMALL, 'r1'), host('b', SMALL, 'r2'), host('c', SMALL, 'r3')],
      // b is full with its own database and the secondary: a failover still fits, a new placement would not.
      databases: [db('ha', 'a', 4096, { peer: 'b' }), db('b-own', 'b', 4096), db('c-own', 'c', 6144)],
    };
    const loss = simulateHostLoss(fleet, 'a', OVERCOMMIT);
    assert.deepEqual(loss.placements, [{ databaseId: 'ha', to: 'b' }]);
    assert.equal(loss.fits, true);
    // Losing the peer instead: the primary keeps running on a (without a secondary); b's own database moves.
    const peerLoss = simulateHostLoss(fleet, 'b', OVERCOMMIT);
    assert.deepEqual(peerLoss.placements, [{ databaseId: 'b-own', to: 'a' }]);
    assert.equal(peerLoss.fits, true);
  });

  test('a DRBD peer that is down cannot take it: it is placed again, or reported with both reasons', () => {
    const fleet: Fleet = {
      hosts: [host('a', SMALL, 'r1'), host('b', SMALL, 'r2', 'down'), host('c', SMALL, 'r3')],
      databases: [db('ha', 'a', 4096, { peer: 'b' })],
    };
    assert.deepEqual(simulateHostLoss(fleet, 'a', OVERCOMMIT).placements, [{ databaseId: 'ha', to: 'c' }]);
    fleet.databases.push(db('c-own', 'c', 6144));
    assert.deepEqual(simulateHostLoss(fleet, 'a', OVERCOMMIT).placements, [
      {
        databaseId: 'ha',
        to: null,
        reason: 'its peer b is down; no active host has 4096 MB of memory free (best: c 2048 of 8192 × 1 allocatable)',
      },
    ]);
  });

  test('a failover to a peer already over its capacity is reported', () => {
    const fleet: Fleet = {
      hosts: [host('a', SMALL, 'r1'), host('b', SMALL, 'r2')],
      // Promised beyond b's memory (the overcommit was lowered since): the failover would not fit.
      databases: [db('ha', 'a', 4096, { peer: 'b' }), db('b-own', 'b', 6144)],
    };
    assert.deepEqual(simulateHostLoss(fleet, 'a', OVERCOMMIT).placements, [
      {
        databaseId: 'ha',
        to: null,
        reason: 'fails over to b, which would be over memoryMb: 10240 promised of 8192 × 1',
      },
    ]);
  });

  test('the biggest first, each placement seen by the next', () => {
    const fleet: Fleet = {
      hosts: [host('lost', BIG, 'r1'), host('s1', SMALL, 'r2'), host('s2', SMALL, 'r3')],
      databases: [db('small', 'lost', 1024), db('five-a', 'lost', 5120), db('five-b', 'lost', 5120)],
    };
    const loss = simulateHostLoss(fleet, 'lost', OVERCOMMIT);
    const to = Object.fromEntries(loss.placements.map((p) => [p.databaseId, p.to]));
    assert.notEqual(to['five-a'], to['five-b']); // they do not both fit on one small host
    assert.ok(to['five-a'] && to['five-b'] && to['small']);
    assert.equal(loss.fits, true);
  });

  test('SAN databases stay on hosts of the same storage driver', () => {
    const fleet: Fleet = {
      hosts: [
        { ...host('lost', SMALL, 'r1'), storageDriver: 'san-lvm' },
        host('dir', BIG, 'r2'),
        { ...host('san2', SMALL, 'r3'), storageDriver: 'san-lvm' },
      ],
      databases: [db('lun', 'lost', 2048, { ha: 'san' }), db('plain', 'lost', 2048)],
    };
    assert.equal(simulateHostLoss(fleet, 'lost', OVERCOMMIT).placements[0].to, 'san2');
    fleet.hosts.pop();
    assert.deepEqual(simulateHostLoss(fleet, 'lost', OVERCOMMIT).placements, [
      {
        databaseId: 'lun',
        to: null,
        reason: 'no active host with storage driver san-lvm (2 hosts: 1 active, 1 excluded)',
      },
      { databaseId: 'plain', to: 'dir' },
    ]);
  });
});
