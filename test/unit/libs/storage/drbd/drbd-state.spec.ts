import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canForcePromote,
  ConnectionState,
  cstateOf,
  DiskState,
  DRBD_CSTATES,
  isTalking,
  mirrorStateOf,
  parseCstate,
  parseDstate,
  parseProcDrbd,
  parseRole,
  Role,
} from '@app/storage/drbd/drbd-state';

// DRBD 8.4's states are parsed once, in drbd-state.ts, into enums; everything else compares enum members.

describe('DRBD state enums', () => {
  test("their values are DRBD 8.4's own words", () => {
    assert.deepEqual(Object.values(Role), ['Primary', 'Secondary', 'Unknown']);
    assert.deepEqual(Object.values(DiskState), [
      'Diskless',
      'Attaching',
      'Failed',
      'Negotiating',
      'Inconsistent',
      'Outdated',
      'DUnknown',
      'Consistent',
      'UpToDate',
    ]);
    // In DRBD's own order: from WFReportParams on, the two sides talk.
    assert.deepEqual(DRBD_CSTATES, Object.values(ConnectionState));
    assert.equal(DRBD_CSTATES.length, 24);
    assert.equal(DRBD_CSTATES[0], ConnectionState.StandAlone);
    assert.equal(DRBD_CSTATES[10], ConnectionState.Connected);
  });

  test('talking: the handshake, connected, resync and verify states; never a state not read', () => {
    const talking = DRBD_CSTATES.filter((s) => isTalking(s));
    assert.deepEqual(talking, DRBD_CSTATES.slice(DRBD_CSTATES.indexOf(ConnectionState.WFReportParams)));
    for (const s of ['StandAlone', 'Unconnected', 'NetworkFailure', 'WFConnection', 'TearDown'] as const)
      assert.equal(isTalking(ConnectionState[s]), false, s);
    assert.equal(isTalking(undefined), false);
    assert.equal(isTalking(null), false);
  });

  test('a forced promotion starts only from a complete copy, however old; never an Inconsistent one', () => {
    const forceable = Object.values(DiskState).filter((d) => canForcePromote(d));
    assert.deepEqual(forceable, [DiskState.Outdated, DiskState.Consistent, DiskState.UpToDate]);
    assert.equal(canForcePromote(undefined), false);
  });
});

describe('drbdadm answers parsed into enums', () => {
  test('role, dstate and cstate give enum members', () => {
    const role = parseRole('Primary/Unknown\n');
    assert.equal(role.local, Role.Primary);
    assert.equal(role.peer, Role.Unknown);
    const d = parseDstate('UpToDate/DUnknown\n');
    assert.equal(d.local, DiskState.UpToDate);
    assert.equal(d.peer, DiskState.DUnknown);
    assert.equal(parseCstate('WFConnection\n'), ConnectionState.WFConnection);
  });

  test('warnings before the answer: the last line counts', () => {
    const warned = 'drbdadm: some warning\n\nSecondary/Primary\n';
    assert.deepEqual(parseRole(warned), { local: Role.Secondary, peer: Role.Primary });
    assert.equal(parseCstate('a warning\nConnected\n'), ConnectionState.Connected);
  });

  test('a word DRBD 8.4 does not print is refused, never taken for a state', () => {
    assert.throws(() => parseRole('primary/secondary'), /unexpected drbdadm role output/);
    assert.throws(() => parseDstate('UpToDate/Unknown'), /unexpected drbdadm dstate output/);
    assert.throws(() => parseCstate('Connecting'), /unexpected drbdadm cstate output/);
    assert.throws(() => parseCstate('Unconfigured'), /unexpected drbdadm cstate output/);
  });

  test('cstateOf: the same parse for a poll, undefined instead of an error', () => {
    assert.equal(cstateOf('Connected\n'), ConnectionState.Connected);
    assert.equal(cstateOf('a warning\nSyncSource'), ConnectionState.SyncSource);
    assert.equal(cstateOf(''), undefined);
    assert.equal(cstateOf('Unconfigured\n'), undefined);
    assert.equal(cstateOf('connected'), undefined);
  });
});

describe('/proc/drbd parsed into enums', () => {
  const proc = [
    'version: 8.4.11 (api:1/proto:86-101)',
    ' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----',
    '    ns:1048 nr:0 dw:1048 dr:2121 al:3 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0',
    ' 5: cs:PausedSyncT ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----',
    ' 6: cs:StartingSyncS ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----',
    ' 7: cs:Bogus ro:Leader/Secondary ds:Weird/UpToDate C r-----',
    ' 8: cs:Unconfigured',
    '',
  ].join('\n');

  test('each configured minor, its states as enum members', () => {
    const m = parseProcDrbd(proc);
    assert.deepEqual([...m.keys()], [0, 5, 6, 7]);
    const s = m.get(5)!;
    assert.equal(s.cstate, ConnectionState.PausedSyncT);
    assert.equal(s.role, Role.Secondary);
    assert.equal(s.peerRole, Role.Primary);
    assert.equal(s.disk, DiskState.Inconsistent);
    assert.equal(s.peerDisk, DiskState.UpToDate);
  });

  test('a word it does not know is null: never connected, primary or up to date', () => {
    const s = parseProcDrbd(proc).get(7)!;
    assert.deepEqual(s, {
      minor: 7,
      cstate: null,
      role: null,
      peerRole: Role.Secondary,
      disk: null,
      peerDisk: DiskState.UpToDate,
    });
    assert.equal(mirrorStateOf(s), 'degraded');
  });

  test('mirror state: synced, syncing (resync under way) or degraded', () => {
    const m = parseProcDrbd(proc);
    assert.equal(mirrorStateOf(m.get(0)), 'synced');
    assert.equal(mirrorStateOf(m.get(5)), 'syncing');
    // Starting a sync is not yet syncing (as before the enums).
    assert.equal(mirrorStateOf(m.get(6)), 'degraded');
    const syncing = DRBD_CSTATES.filter(
      (cstate) =>
        mirrorStateOf({
          minor: 1,
          cstate,
          role: Role.Primary,
          peerRole: Role.Secondary,
          disk: null,
          peerDisk: null,
        }) === 'syncing',
    );
    assert.deepEqual(syncing, [
      ConnectionState.WFBitMapS,
      ConnectionState.WFBitMapT,
      ConnectionState.WFSyncUUID,
      ConnectionState.SyncSource,
      ConnectionState.SyncTarget,
      ConnectionState.PausedSyncS,
      ConnectionState.PausedSyncT,
    ]);
    // Connected but a disk not UpToDate: degraded.
    const connected = { minor: 1, cstate: ConnectionState.Connected, role: Role.Primary, peerRole: Role.Secondary };
    assert.equal(mirrorStateOf({ ...connected, disk: DiskState.UpToDate, peerDisk: DiskState.Outdated }), 'degraded');
    assert.equal(mirrorStateOf({ ...connected, disk: DiskState.UpToDate, peerDisk: DiskState.UpToDate }), 'synced');
  });
});

describe('DRBD states: compared as enums outside the parser', () => {
  test('no other DRBD file compares a state as a quoted DRBD word', () => {
    const dir = join(__dirname, '../../../../../libs/storage/src/drbd');
    const words = [...Object.values(Role), ...Object.values(DiskState), ...DRBD_CSTATES].join('|');
    const quoted = new RegExp(`['"\`](${words})['"\`]`);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'drbd-state.ts')) {
      const lines = readFileSync(join(dir, f), 'utf8').split('\n');
      const hits = lines.filter((l) => quoted.test(l) && !/^\s*(\/\/|\*|\/\*\*)/.test(l));
      assert.deepEqual(hits, [], f);
    }
  });
});

describe('/proc/drbd and mirror state', () => {
  const proc = `version: 8.4.11 (api:1/proto:86-101)
srcversion: B536C32A3EADA868561EFD9
 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----
    ns:1048 nr:0 dw:1048 dr:2121 al:3 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
 1: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----
    ns:0 nr:0 dw:8 dr:0 al:1 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:8
 2: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
 3: cs:Unconfigured
 4: cs:StandAlone ro:Secondary/Unknown ds:UpToDate/DUnknown   r-----
`;
  test('parses every configured minor', () => {
    const m = parseProcDrbd(proc);
    assert.deepEqual([...m.keys()], [0, 1, 2, 4]);
    assert.deepEqual(m.get(1), {
      minor: 1,
      cstate: 'WFConnection',
      role: 'Primary',
      peerRole: 'Unknown',
      disk: 'UpToDate',
      peerDisk: 'DUnknown',
    });
  });
  test('only a connected, UpToDate/UpToDate mirror counts as synced', () => {
    const m = parseProcDrbd(proc);
    assert.equal(mirrorStateOf(m.get(0)), 'synced');
    assert.equal(mirrorStateOf(m.get(1)), 'degraded');
    assert.equal(mirrorStateOf(m.get(2)), 'syncing');
    assert.equal(mirrorStateOf(m.get(4)), 'degraded');
    assert.equal(mirrorStateOf(undefined), 'degraded');
    assert.equal(parseProcDrbd('garbage\n').size, 0);
  });
});
