import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '@app/domain/ports/infrastructure';
import {
  DRBD_NET_TIMING,
  type DrbdResource,
  backingDisk,
  drbdCmd,
  drbdDevice,
  drbdHostname,
  drbdMinor,
  drbdPort,
  drbdResourceName,
  drbdSharedSecret,
  ipv4,
  renderResource,
  resFilePath,
} from '@app/storage/drbd/drbd';
import {
  DRBD_CSTATES,
  isDrbdNotUp,
  isNoMetadata,
  parseCstate,
  parseDstate,
  parseRole,
} from '@app/storage/drbd/drbd-state';
import { DrbdHost } from '@app/storage/drbd/drbd-host';
import { CommandFailed } from '@app/storage/host/run-checked';
import { fail, FakeExecutor, ok } from '../../../support/fake-executor';

// ---------------------------------------------------------------------------------------------------------------
// Recorded outputs: test/unit/support/fixtures/drbd/*.txt, stdout then stderr of one command on the lab's host1 (Debian 12,
// kernel DRBD 8.4.11, drbd-utils 9.22.0) for the throwaway resource r-helpertest (minor 190, LV local/helpertest,
// peer host2 not configured, so never Connected), with a final `exit=N` line.

interface Fixture {
  text: string;
  exit: number;
}

function fixture(name: string): Fixture {
  const raw = readFileSync(join(__dirname, '../../support/fixtures', 'drbd', `${name}.txt`), 'utf8');
  const m = /(?:^|\n)exit=(\d+)\n?$/.exec(raw);
  if (!m) throw new Error(`fixture ${name} has no exit line`);
  return { text: raw.slice(0, m.index + (m[0].startsWith('\n') ? 1 : 0)), exit: Number(m[1]) };
}

/** A recorded output as a command result: stdout on success, stderr on failure. */
function rec(name: string): CommandResult {
  const f = fixture(name);
  return f.exit === 0 ? { exitCode: 0, stdout: f.text, stderr: '' } : { exitCode: f.exit, stdout: '', stderr: f.text };
}

const is =
  (prog: string, ...args: string[]) =>
  (argv: readonly string[]) =>
    argv[0] === prog && args.every((a) => argv.includes(a));
const adm = (sub: string) => (argv: readonly string[]) => argv[0] === 'drbdadm' && argv.includes(sub);

const NAME = 'r-helpertest';
const SECRET = 'Zq7WmKc3xPb9RtYh2NvLs8Df4GjA6EuT';
const RES: DrbdResource = {
  name: NAME,
  minor: 190,
  port: 7990,
  sharedSecret: SECRET,
  nodes: [
    { hostname: 'host1', address: '10.99.1.11', disk: '/dev/local/helpertest' },
    { hostname: 'host2', address: '10.99.1.12', disk: '/dev/local/helpertest' },
  ],
};
const DEV = '/dev/drbd190';
const MNT = '/var/lib/dbaas/volumes/v-1';
const PATH = '/etc/drbd.d/r-helpertest.res';
const ROLE = ['drbdadm', 'role', NAME];
const CSTATE = ['drbdadm', 'cstate', NAME];
const DSTATE = ['drbdadm', 'dstate', NAME];
const STATUS = [ROLE, CSTATE, DSTATE];
const FINDMNT = ['findmnt', '-n', '-o', 'TARGET,SOURCE', '--mountpoint', MNT];
/** findmnt's TARGET,SOURCE layout as recorded for / ("/      /dev/vda"), for another mount point and device. */
const findmntAt = (target: string, source: string) =>
  ok(fixture('findmnt-target-source-root').text.replace('/      /dev/vda', `${target} ${source}`));

/** An executor answering the three status queries; `more` adds rules. */
function upWith(role: string, cstate: string, dstate: string): FakeExecutor {
  return new FakeExecutor()
    .on(adm('role'), ok(`${role}\n`))
    .on(adm('cstate'), ok(`${cstate}\n`))
    .on(adm('dstate'), ok(`${dstate}\n`));
}
const down = () => new FakeExecutor().on(adm('role'), rec('role-not-up'));

const HOSTILE = ['; rm -rf /', '$(id)', '`id`', 'a b', "a'b", 'a"b', '..', '../etc', 'a\nb', '', '-rf', 'a|b', 'a&b'];

// ---------------------------------------------------------------------------------------------------------------

describe('DRBD validators', () => {
  test('accept what we generate', () => {
    assert.equal(drbdResourceName('r-helpertest'), 'r-helpertest');
    assert.equal(drbdResourceName('r-0f8fad5b-d9cb-469f-a165-70867728950e'), 'r-0f8fad5b-d9cb-469f-a165-70867728950e');
    assert.equal(drbdHostname('host1'), 'host1');
    assert.equal(drbdHostname('db-07.eu-west.example.com'), 'db-07.eu-west.example.com');
    assert.equal(ipv4('10.99.1.11'), '10.99.1.11');
    assert.equal(ipv4('255.255.255.255'), '255.255.255.255');
    assert.equal(
      backingDisk('/dev/local/d-0f8fad5b-d9cb-469f-a165-70867728950e'),
      '/dev/local/d-0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    assert.equal(drbdMinor(0), 0);
    assert.equal(drbdMinor(1_048_575), 1_048_575);
    assert.equal(drbdPort(1024), 1024);
    assert.equal(drbdPort(65535), 65535);
    assert.equal(drbdDevice(190), DEV);
    assert.equal(resFilePath(NAME), PATH);
  });

  test('hostile resource names are refused', () => {
    const bad = [...HOSTILE, 'r-', 'r0', 'R-abc', 'r-ABC', 'r-a_b', 'r-a.b', 'r-a/b', '-r-a', `r-${'a'.repeat(39)}`];
    for (const n of bad) {
      assert.throws(() => drbdResourceName(n), /unsafe DRBD resource name/, JSON.stringify(n));
      assert.throws(() => resFilePath(n), /unsafe/, JSON.stringify(n));
    }
    assert.equal(drbdResourceName(`r-${'a'.repeat(38)}`).length, 40);
  });

  test('hostile hostnames are refused', () => {
    for (const h of [...HOSTILE, '-host', 'host-', '.host', 'host.', 'ho..st', 'ho_st', 'a'.repeat(65), 'host1 ']) {
      assert.throws(() => drbdHostname(h), /unsafe hostname/, JSON.stringify(h));
    }
  });

  test('hostile or malformed addresses are refused', () => {
    for (const a of [
      ...HOSTILE,
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.4 ',
      '1.2.3.4;id',
      '1.2.3.4:7789',
      '::1',
      'host1',
    ]) {
      assert.throws(() => ipv4(a), /unsafe IPv4 address/, JSON.stringify(a));
    }
  });

  test('backing disks must be /dev/<vg>/<lv>', () => {
    for (const d of [
      ...HOSTILE,
      '/dev/sda',
      '/dev/local/../sda',
      '/dev/../etc/passwd',
      '/dev/local/lv/x',
      '/dev/local/lv;id',
      '/dev/local/$(id)',
      '/dev/local/l v',
      '/etc/local/lv',
      'dev/local/lv',
      '/dev/local/',
      '/dev/-x/lv',
    ]) {
      assert.throws(() => backingDisk(d), /unsafe backing disk/, JSON.stringify(d));
    }
  });

  test('minors and ports out of range are refused', () => {
    for (const m of [-1, 1_048_576, 1.5, NaN, Infinity]) assert.throws(() => drbdMinor(m), /unsafe DRBD minor/);
    for (const p of [0, 80, 1023, 65536, 7789.5, NaN]) assert.throws(() => drbdPort(p), /unsafe DRBD port/);
  });
});

describe('drbdCmd', () => {
  test('drbdadm commands: exact argv', () => {
    assert.deepEqual(drbdCmd.up(NAME), ['drbdadm', 'up', NAME]);
    assert.deepEqual(drbdCmd.down(NAME), ['drbdadm', 'down', NAME]);
    assert.deepEqual(drbdCmd.adjust(NAME), ['drbdadm', 'adjust', NAME]);
    assert.deepEqual(drbdCmd.primary(NAME), ['drbdadm', 'primary', NAME]);
    assert.deepEqual(drbdCmd.primaryForce(NAME), ['drbdadm', 'primary', '--force', NAME]);
    assert.deepEqual(drbdCmd.secondary(NAME), ['drbdadm', 'secondary', NAME]);
    assert.deepEqual(drbdCmd.role(NAME), ROLE);
    assert.deepEqual(drbdCmd.cstate(NAME), CSTATE);
    assert.deepEqual(drbdCmd.dstate(NAME), DSTATE);
    assert.deepEqual(drbdCmd.connect(NAME), ['drbdadm', 'connect', NAME]);
    assert.deepEqual(drbdCmd.disconnect(NAME), ['drbdadm', 'disconnect', NAME]);
    assert.deepEqual(drbdCmd.createMd(NAME), ['drbdadm', 'create-md', '--force', NAME]);
    assert.deepEqual(drbdCmd.connectDiscardingMine(NAME), ['drbdadm', 'connect', '--discard-my-data', NAME]);
    assert.deepEqual(drbdCmd.outdate(NAME), ['drbdadm', 'outdate', NAME]);
    assert.deepEqual(drbdCmd.newCurrentUuidClearBitmap(NAME), [
      'drbdadm',
      '--',
      '--clear-bitmap',
      'new-current-uuid',
      NAME,
    ]);
  });

  test('files, uname and the backing LV: exact argv', () => {
    assert.deepEqual(drbdCmd.readFile(PATH), ['cat', PATH]);
    assert.deepEqual(drbdCmd.writeFile(PATH), ['tee', PATH]);
    assert.deepEqual(drbdCmd.removeFile(PATH), ['rm', '-f', PATH]);
    assert.deepEqual(drbdCmd.uname(), ['uname', '-n']);
    assert.deepEqual(drbdCmd.lvcreateBacking('local', 'helpertest', 3), [
      'lvcreate',
      '-y',
      '-Wy',
      '-n',
      'helpertest',
      '-L',
      '3g',
      'local',
    ]);
  });

  test('every builder refuses hostile names', () => {
    const byName = [
      drbdCmd.up,
      drbdCmd.down,
      drbdCmd.adjust,
      drbdCmd.primary,
      drbdCmd.primaryForce,
      drbdCmd.secondary,
      drbdCmd.role,
      drbdCmd.cstate,
      drbdCmd.dstate,
      drbdCmd.connect,
      drbdCmd.connectDiscardingMine,
      drbdCmd.disconnect,
      drbdCmd.outdate,
      drbdCmd.createMd,
      drbdCmd.newCurrentUuidClearBitmap,
    ];
    for (const bad of [...HOSTILE, 'all', 'r-x; reboot']) {
      for (const f of byName) assert.throws(() => f(bad), /unsafe DRBD resource name/, `${f.name}(${bad})`);
    }
  });

  test('file commands only take resource files under /etc/drbd.d', () => {
    for (const p of [
      '/etc/passwd',
      '/etc/drbd.d/global_common.conf',
      '/etc/drbd.d/../shadow.res',
      '/etc/drbd.d/r-x.res; rm -rf /',
      '/etc/drbd.d/r-$(id).res',
      '/etc/drbd.d/r-a b.res',
      'r-x.res',
      '',
    ]) {
      for (const f of [drbdCmd.readFile, drbdCmd.writeFile, drbdCmd.removeFile])
        assert.throws(() => f(p), /unsafe DRBD config path/, `${f.name}(${p})`);
    }
  });

  test('lvcreateBacking refuses hostile names and sizes', () => {
    for (const bad of ['; rm -rf /', '$(id)', 'a b', "a'b", '..', '-x', '']) {
      assert.throws(() => drbdCmd.lvcreateBacking(bad, 'lv', 1), /invalid LVM name/);
      assert.throws(() => drbdCmd.lvcreateBacking('local', bad, 1), /invalid LVM name/);
    }
    for (const n of [0, -1, 1.5, 65537, NaN]) assert.throws(() => drbdCmd.lvcreateBacking('local', 'lv', n), /size/);
  });
});

describe('renderResource', () => {
  test('DRBD 8.4 resource file', () => {
    assert.equal(
      renderResource(RES),
      [
        '# Written by the dbaas control plane; changes here are overwritten.',
        'resource r-helpertest {',
        '  protocol C;',
        '  disk {',
        '    fencing resource-and-stonith;',
        '  }',
        '  handlers {',
        '    fence-peer "/usr/local/lib/dbaas/drbd-fence-peer";',
        '  }',
        '  net {',
        '    cram-hmac-alg sha256;',
        `    shared-secret "${SECRET}";`,
        '    connect-int 2;',
        '    ping-int 2;',
        '    ping-timeout 5;',
        '    timeout 15;',
        '    after-sb-0pri discard-zero-changes;',
        '    after-sb-1pri disconnect;',
        '    after-sb-2pri disconnect;',
        '  }',
        '  on host1 {',
        '    device /dev/drbd190;',
        '    disk /dev/local/helpertest;',
        '    meta-disk internal;',
        '    address 10.99.1.11:7990;',
        '  }',
        '  on host2 {',
        '    device /dev/drbd190;',
        '    disk /dev/local/helpertest;',
        '    meta-disk internal;',
        '    address 10.99.1.12:7990;',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(renderResource({ ...RES, protocol: 'C' }), renderResource(RES));
  });

  test("no split-brain policy discards a primary's data; fencing freezes a lone primary until the control plane answers", () => {
    const text = renderResource(RES);
    assert.doesNotMatch(
      text,
      /discard-secondary|discard-younger|discard-older|discard-least|discard-local|discard-remote|violently|call-pri-lost/,
    );
    assert.match(text, /after-sb-1pri disconnect;/);
    assert.match(text, /after-sb-2pri disconnect;/);
    // DRBD 8.4 takes `fencing` in the disk section (DRBD 9 moved it to net).
    assert.match(text, /\n {2}disk \{\n {4}fencing resource-and-stonith;\n {2}\}/);
    assert.match(text, /\n {2}handlers \{\n {4}fence-peer "\/usr\/local\/lib\/dbaas\/drbd-fence-peer";\n {2}\}/);
  });

  test('the shared secret: 32 to 64 letters and digits, and a refusal never repeats it', () => {
    assert.equal(drbdSharedSecret('a'.repeat(32)), 'a'.repeat(32));
    assert.equal(drbdSharedSecret('Z9'.repeat(32)), 'Z9'.repeat(32));
    for (const bad of [
      '',
      'a'.repeat(31),
      'a'.repeat(65),
      `${'a'.repeat(32)}";\n  net { after-sb-1pri discard-secondary; }`,
      `${'a'.repeat(31)} `,
      `${'a'.repeat(31)}"`,
      `${'a'.repeat(31)}é`,
      `${'a'.repeat(31)}\n`,
      null as unknown as string,
    ]) {
      assert.throws(
        () => renderResource({ ...RES, sharedSecret: bad }),
        (err: Error) => /unsafe DRBD shared secret/.test(err.message) && (!bad || !err.message.includes(bad)),
        JSON.stringify(bad),
      );
    }
  });

  test('net timing inside DRBD 8.4 limits, timeout below connect-int and ping-int', () => {
    const t = DRBD_NET_TIMING;
    assert.ok(t.timeoutDs >= 1 && t.timeoutDs <= 600);
    assert.ok(t.connectIntSec >= 1 && t.connectIntSec <= 120);
    assert.ok(t.pingIntSec >= 1 && t.pingIntSec <= 120);
    assert.ok(t.pingTimeoutDs >= 1 && t.pingTimeoutDs <= 300);
    assert.ok(t.timeoutDs < t.connectIntSec * 10 && t.timeoutDs < t.pingIntSec * 10);
  });

  test('each node may have its own backing disk', () => {
    const text = renderResource({
      ...RES,
      nodes: [RES.nodes[0], { ...RES.nodes[1], disk: '/dev/vg2/lv2' }],
    });
    assert.match(text, /on host2 \{\n {4}device \/dev\/drbd190;\n {4}disk \/dev\/vg2\/lv2;/);
  });

  test('anything hostile or inconsistent is refused', () => {
    const n0 = RES.nodes[0];
    const n1 = RES.nodes[1];
    const cases: [Partial<DrbdResource>, RegExp][] = [
      [{ name: 'r-x; }\nresource evil {' }, /unsafe DRBD resource name/],
      [{ minor: -1 }, /unsafe DRBD minor/],
      [{ port: 22 }, /unsafe DRBD port/],
      [{ protocol: 'A' as 'C' }, /unsafe DRBD protocol/],
      [{ nodes: [{ ...n0, hostname: 'host1 { disk /dev/sda; }' }, n1] }, /unsafe hostname/],
      [{ nodes: [n0, { ...n1, address: '10.99.1.12:22; ' }] }, /unsafe IPv4 address/],
      [{ nodes: [n0, { ...n1, disk: '/dev/sda;' }] }, /unsafe backing disk/],
      [{ nodes: [n0, { ...n1, hostname: 'host1' }] }, /both DRBD nodes are named host1/],
      [{ nodes: [n0, { ...n1, address: '10.99.1.11' }] }, /both DRBD nodes have the address/],
      [{ nodes: [n0] as unknown as DrbdResource['nodes'] }, /exactly two nodes/],
    ];
    for (const [patch, re] of cases) assert.throws(() => renderResource({ ...RES, ...patch }), re);
  });
});

describe('DRBD parsers on recorded outputs', () => {
  test('role', () => {
    assert.deepEqual(parseRole(rec('role-secondary-unknown').stdout), { local: 'Secondary', peer: 'Unknown' });
    assert.deepEqual(parseRole(rec('role-primary-unknown').stdout), { local: 'Primary', peer: 'Unknown' });
    assert.deepEqual(parseRole('Primary/Secondary\n'), { local: 'Primary', peer: 'Secondary' });
    assert.deepEqual(parseRole('Secondary/Primary'), { local: 'Secondary', peer: 'Primary' });
    for (const bad of ['', 'Unconfigured', 'Primary', 'Primary/Bogus', 'Primary/Secondary/x']) {
      assert.throws(() => parseRole(bad), /unexpected drbdadm role output/, bad);
    }
  });

  test('cstate', () => {
    assert.equal(parseCstate(rec('cstate-wfconnection').stdout), 'WFConnection');
    assert.equal(parseCstate(rec('cstate-standalone').stdout), 'StandAlone');
    for (const s of DRBD_CSTATES) assert.equal(parseCstate(`${s}\n`), s);
    assert.throws(() => parseCstate(rec('cstate-unconfigured').stdout), /unexpected drbdadm cstate output/);
    assert.throws(() => parseCstate(''), /unexpected/);
  });

  test('dstate', () => {
    assert.deepEqual(parseDstate(rec('dstate-inconsistent-dunknown').stdout), {
      local: 'Inconsistent',
      peer: 'DUnknown',
    });
    assert.deepEqual(parseDstate(rec('dstate-uptodate-dunknown').stdout), { local: 'UpToDate', peer: 'DUnknown' });
    assert.deepEqual(parseDstate('UpToDate/UpToDate\n'), { local: 'UpToDate', peer: 'UpToDate' });
    assert.deepEqual(parseDstate('Inconsistent/Inconsistent'), { local: 'Inconsistent', peer: 'Inconsistent' });
    // drbdadm dstate of a resource that is down reads the disk's metadata and prints one word: not a pair.
    assert.throws(() => parseDstate(rec('dstate-down-consistent').stdout), /unexpected drbdadm dstate output/);
  });

  test('"not up": any non-zero role exit, or an unconfigured minor left by a failed up', () => {
    for (const name of ['role-not-up', 'role-not-defined', 'role-no-resources']) {
      const r = rec(name);
      assert.notEqual(r.exitCode, 0, name);
      assert.equal(isDrbdNotUp(r), true, name);
    }
    assert.equal(rec('role-not-up').exitCode, 10);
    assert.match(rec('role-not-up').stderr, /Device minor not allocated/);
    assert.equal(rec('role-unconfigured').exitCode, 0);
    assert.equal(isDrbdNotUp(rec('role-unconfigured')), true);
    assert.equal(isDrbdNotUp(rec('role-secondary-unknown')), false);
    assert.equal(isDrbdNotUp(rec('role-primary-unknown')), false);
  });

  test('missing metadata is recognised; other up failures are not', () => {
    assert.equal(isNoMetadata(rec('up-no-metadata').stderr), true);
    assert.equal(isNoMetadata(rec('dstate-down-no-metadata').stderr), true);
    assert.equal(isNoMetadata("No valid meta-data signature found.\n\t==> Use 'drbdadm create-md res' <=="), true);
    assert.equal(isNoMetadata(rec('up-already-up').stderr), false);
    assert.equal(isNoMetadata('r-x: Failure: (114) Lower device is already claimed.'), false);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('DrbdHost: host, LV and config', () => {
  test('hostname: uname -n, trimmed and checked', async () => {
    const ex = new FakeExecutor().on(is('uname'), ok('host1\n'));
    assert.equal(await new DrbdHost(ex).hostname(), 'host1');
    assert.deepEqual(ex.argvs, [['uname', '-n']]);
    const evil = new FakeExecutor().on(is('uname'), ok('host1;reboot\n'));
    await assert.rejects(new DrbdHost(evil).hostname(), /unsafe hostname/);
  });

  test('ensureBackingLv: lvcreate -Wy (recorded: it wiped an old ext4 signature)', async () => {
    const ex = new FakeExecutor().on(is('lvcreate'), rec('lvcreate-wipe'));
    assert.equal(await new DrbdHost(ex).ensureBackingLv('local', 'helpertest', 1), '/dev/local/helpertest');
    assert.deepEqual(ex.argvs, [['lvcreate', '-y', '-Wy', '-n', 'helpertest', '-L', '1g', 'local']]);
    assert.ok(fixture('lvcreate-wipe').text.includes('Wiping ext4 signature'));
  });

  test('ensureBackingLv: an existing LV (exit 5, already exists) is fine', async () => {
    const ex = new FakeExecutor().on(is('lvcreate'), rec('lvcreate-exists'));
    assert.equal(await new DrbdHost(ex).ensureBackingLv('local', 'helpertest', 1), '/dev/local/helpertest');
    assert.equal(ex.calls.length, 1);
  });

  test('ensureBackingLv: another exit 5 (no space) fails', async () => {
    const ex = new FakeExecutor().on(
      is('lvcreate'),
      fail(5, '  Volume group "local" has insufficient free space (1023 extents): 2560 required.\n'),
    );
    await assert.rejects(new DrbdHost(ex).ensureBackingLv('local', 'helpertest', 10), /lvcreate exited with 5/);
  });

  test('reconnectDiscardingMine: a StandAlone copy (a split brain dropped it) is not disconnected again', async () => {
    // drbd-utils 9 in 8.4 mode refuses it: "(162) Invalid configuration request … unknown connection", exit 10
    // (seen in the VM lab on a returning old primary whose copy had diverged).
    const ex = new FakeExecutor()
      .on(adm('cstate'), ok('StandAlone\n'))
      .on(adm('disconnect'), fail(10, 'r: Failure: (162) Invalid configuration request\nunknown connection\n'))
      .on(adm('connect'), ok(''));
    await new DrbdHost(ex).reconnectDiscardingMine(NAME);
    assert.deepEqual(ex.argvs, [
      ['drbdadm', 'cstate', NAME],
      ['drbdadm', 'connect', '--discard-my-data', NAME],
    ]);
  });

  test('reconnectDiscardingMine: a disconnect refused while DRBD is mid-connection (exit 10) is tried again', async () => {
    const refused = fail(10, "Command 'drbdsetup-84 disconnect' terminated with exit code 10\n");
    const ex = new FakeExecutor()
      .on(adm('cstate'), ok('WFReportParams\n'), ok('WFReportParams\n'), ok('WFConnection\n'))
      .on(adm('disconnect'), refused, ok(''))
      .on(adm('connect'), ok(''));
    await new DrbdHost(ex).reconnectDiscardingMine(NAME);
    assert.deepEqual(ex.argvs, [
      ['drbdadm', 'cstate', NAME],
      ['drbdadm', 'disconnect', NAME],
      ['drbdadm', 'cstate', NAME],
      ['drbdadm', 'disconnect', NAME],
      ['drbdadm', 'connect', '--discard-my-data', NAME],
    ]);
    // Any other failure is not retried.
    const other = new FakeExecutor()
      .on(adm('cstate'), ok('Connected\n'))
      .on(adm('disconnect'), fail(20, 'no such resource\n'));
    await assert.rejects(new DrbdHost(other).reconnectDiscardingMine(NAME), /exited with 20/);
    assert.equal(other.argvs.filter((a) => a.includes('disconnect')).length, 1);
  });

  test('ensureBackingLv: hostile names run nothing', async () => {
    const ex = new FakeExecutor();
    await assert.rejects(new DrbdHost(ex).ensureBackingLv('local', '$(id)', 1), /invalid LVM name/);
    await assert.rejects(new DrbdHost(ex).ensureBackingLv('; rm -rf /', 'lv', 1), /invalid LVM name/);
    assert.equal(ex.calls.length, 0);
  });

  test('removeBackingLv: a missing LV is done; one DRBD still holds is an error', async () => {
    const gone = new FakeExecutor().on(is('lvremove'), rec('lvremove-missing'));
    await new DrbdHost(gone).removeBackingLv('local', 'helpertest');
    assert.deepEqual(gone.argvs, [['lvremove', '-y', 'local/helpertest']]);
    const held = new FakeExecutor().on(is('lvremove'), rec('lvremove-in-use'));
    await assert.rejects(new DrbdHost(held).removeBackingLv('local', 'helpertest'), /used by another device/);
  });

  test('writeConfig: a missing file is written through tee with the text as input', async () => {
    const ex = new FakeExecutor().on(is('cat'), rec('cat-missing')).on(is('tee'), ok(renderResource(RES)));
    assert.equal(await new DrbdHost(ex).writeConfig(RES), true);
    assert.deepEqual(ex.argvs, [
      ['cat', PATH],
      ['tee', PATH],
    ]);
    assert.equal(ex.calls[1].opts.input, renderResource(RES));
  });

  test('writeConfig: the same text (even without its final newline) is not written again', async () => {
    const ex = new FakeExecutor().on(is('cat'), ok(renderResource(RES).trimEnd()));
    assert.equal(await new DrbdHost(ex).writeConfig(RES), false);
    assert.deepEqual(ex.argvs, [['cat', PATH]]);
  });

  test('writeConfig: different text is replaced', async () => {
    const old = renderResource(RES).replace('10.99.1.12', '10.99.1.13');
    const ex = new FakeExecutor().on(is('cat'), ok(old)).on(is('tee'), ok());
    assert.equal(await new DrbdHost(ex).writeConfig(RES), true);
    assert.deepEqual(ex.argvs.at(-1), ['tee', PATH]);
  });

  test('writeConfig: a hostile resource runs nothing', async () => {
    const ex = new FakeExecutor();
    await assert.rejects(
      new DrbdHost(ex).writeConfig({ ...RES, nodes: [RES.nodes[0], { ...RES.nodes[1], hostname: 'h;reboot' }] }),
      /unsafe hostname/,
    );
    assert.equal(ex.calls.length, 0);
  });

  test('removeConfig: rm -f', async () => {
    const ex = new FakeExecutor().on(is('rm'), ok());
    await new DrbdHost(ex).removeConfig(NAME);
    assert.deepEqual(ex.argvs, [['rm', '-f', PATH]]);
    await assert.rejects(new DrbdHost(ex).removeConfig('../../etc/passwd'), /unsafe/);
    assert.equal(ex.calls.length, 1);
  });
});

describe('DrbdHost.status', () => {
  test('down (recorded exit 10): only the role is asked', async () => {
    const ex = down();
    assert.deepEqual(await new DrbdHost(ex).status(NAME), { up: false });
    assert.deepEqual(ex.argvs, [ROLE]);
  });

  test('an unconfigured minor (recorded after a failed up, exit 0) is down', async () => {
    const ex = new FakeExecutor().on(adm('role'), rec('role-unconfigured'));
    assert.deepEqual(await new DrbdHost(ex).status(NAME), { up: false });
    assert.deepEqual(ex.argvs, [ROLE]);
  });

  test('a resource missing from the configuration is down', async () => {
    const ex = new FakeExecutor().on(adm('role'), rec('role-not-defined'));
    assert.deepEqual(await new DrbdHost(ex).status(NAME), { up: false });
  });

  test('up: role, cstate and dstate (recorded)', async () => {
    const ex = new FakeExecutor()
      .on(adm('role'), rec('role-secondary-unknown'))
      .on(adm('cstate'), rec('cstate-wfconnection'))
      .on(adm('dstate'), rec('dstate-inconsistent-dunknown'));
    assert.deepEqual(await new DrbdHost(ex).status(NAME), {
      up: true,
      role: { local: 'Secondary', peer: 'Unknown' },
      cstate: 'WFConnection',
      dstate: { local: 'Inconsistent', peer: 'DUnknown' },
    });
    assert.deepEqual(ex.argvs, STATUS);
    for (const c of ex.calls) assert.equal(c.opts.timeoutMs, 30_000);
  });
});

describe('DrbdHost.ensureUp', () => {
  test('down, no metadata (recorded): up → create-md (answering yes) → up', async () => {
    const ex = down().on(adm('up'), rec('up-no-metadata'), ok()).on(adm('create-md'), rec('create-md'));
    await new DrbdHost(ex).ensureUp(RES);
    assert.deepEqual(ex.argvs, [
      ROLE,
      ['drbdadm', 'up', NAME],
      ['drbdadm', 'create-md', '--force', NAME],
      ['drbdadm', 'up', NAME],
    ]);
    assert.equal(ex.calls[2].opts.input, 'yes\n');
  });

  test('an unconfigured minor left by a failed up counts as down', async () => {
    const ex = new FakeExecutor().on(adm('role'), rec('role-unconfigured')).on(adm('up'), ok());
    await new DrbdHost(ex).ensureUp(RES);
    assert.deepEqual(ex.argvs, [ROLE, ['drbdadm', 'up', NAME]]);
  });

  test('down with metadata: up only', async () => {
    const ex = down().on(adm('up'), ok());
    await new DrbdHost(ex).ensureUp(RES);
    assert.deepEqual(ex.argvs, [ROLE, ['drbdadm', 'up', NAME]]);
  });

  test('up: adjust only (never up, never create-md)', async () => {
    const ex = upWith('Secondary/Secondary', 'Connected', 'UpToDate/UpToDate').on(adm('adjust'), ok());
    await new DrbdHost(ex).ensureUp(RES);
    assert.deepEqual(ex.argvs, [...STATUS, ['drbdadm', 'adjust', NAME]]);
  });

  test('up fails for another reason: an error, and no create-md', async () => {
    const ex = down().on(adm('up'), fail(10, 'r-helpertest: Failure: (114) Lower device is already claimed.\n'));
    await assert.rejects(new DrbdHost(ex).ensureUp(RES), (err: unknown) => {
      assert.ok(err instanceof CommandFailed);
      assert.equal(err.result.exitCode, 10);
      return true;
    });
    assert.ok(!ex.argvs.some((a) => a.includes('create-md')));
  });

  test('the second up failing is an error', async () => {
    const ex = down().on(adm('up'), rec('up-no-metadata'), rec('up-already-up')).on(adm('create-md'), rec('create-md'));
    await assert.rejects(new DrbdHost(ex).ensureUp(RES), /drbdadm exited with 1/);
    assert.equal(ex.argvs.filter((a) => a.includes('create-md')).length, 1);
  });

  test('a hostile resource runs nothing', async () => {
    const ex = new FakeExecutor();
    await assert.rejects(new DrbdHost(ex).ensureUp({ ...RES, name: 'r-x;reboot' }), /unsafe DRBD resource name/);
    assert.equal(ex.calls.length, 0);
  });
});

describe('DrbdHost.waitConnected', () => {
  test('polls cstate until Connected', async () => {
    const ex = new FakeExecutor().on(
      adm('cstate'),
      rec('cstate-not-up'),
      rec('cstate-wfconnection'),
      rec('cstate-wfconnection'),
      ok('Connected\n'),
    );
    const t0 = Date.now();
    assert.equal(await new DrbdHost(ex).waitConnected(NAME, 5_000), true);
    assert.equal(ex.calls.length, 4);
    assert.ok(Date.now() - t0 >= 3 * 190, 'waits ~200 ms between polls');
    assert.ok(ex.argvs.every((a) => JSON.stringify(a) === JSON.stringify(CSTATE)));
  });

  test('gives up after the timeout', async () => {
    const ex = new FakeExecutor().on(adm('cstate'), rec('cstate-wfconnection'));
    const t0 = Date.now();
    assert.equal(await new DrbdHost(ex).waitConnected(NAME, 500), false);
    assert.ok(Date.now() - t0 < 1_500);
    assert.ok(ex.calls.length >= 2 && ex.calls.length <= 4, String(ex.calls.length));
  });
});

describe('DrbdHost.skipInitialSync', () => {
  test('Connected and Inconsistent/Inconsistent: new-current-uuid --clear-bitmap', async () => {
    const ex = upWith('Secondary/Secondary', 'Connected', 'Inconsistent/Inconsistent').on(
      adm('new-current-uuid'),
      ok(),
    );
    assert.equal(await new DrbdHost(ex).skipInitialSync(NAME), true);
    assert.deepEqual(ex.argvs, [...STATUS, ['drbdadm', '--', '--clear-bitmap', 'new-current-uuid', NAME]]);
  });

  for (const [label, ex] of [
    [
      'not connected (recorded WFConnection, Inconsistent/DUnknown)',
      () => upWith('Secondary/Unknown', 'WFConnection', 'Inconsistent/DUnknown'),
    ],
    ['not connected, both Inconsistent', () => upWith('Secondary/Unknown', 'StandAlone', 'Inconsistent/Inconsistent')],
    ['already in sync', () => upWith('Secondary/Secondary', 'Connected', 'UpToDate/UpToDate')],
    ['one side has data', () => upWith('Secondary/Secondary', 'SyncSource', 'UpToDate/Inconsistent')],
    ['one side Inconsistent only', () => upWith('Secondary/Secondary', 'Connected', 'Inconsistent/UpToDate')],
    ['down', down],
  ] as const) {
    test(`no-op when ${label}`, async () => {
      const e = ex();
      assert.equal(await new DrbdHost(e).skipInitialSync(NAME), false);
      assert.ok(!e.argvs.some((a) => a.includes('new-current-uuid')));
    });
  }

  test('DRBD itself refuses it while waiting for the peer (recorded: exit 10, Need to be StandAlone)', () => {
    const r = rec('clear-bitmap-wfconnection');
    assert.equal(r.exitCode, 10);
    assert.match(r.stderr, /Need to be StandAlone/);
  });
});

describe('DrbdHost.promote / demote / down', () => {
  test('promote: no-op when already Primary', async () => {
    const ex = upWith('Primary/Secondary', 'Connected', 'UpToDate/UpToDate');
    await new DrbdHost(ex).promote(NAME, {});
    assert.deepEqual(ex.argvs, STATUS);
  });

  test('promote: Secondary → drbdadm primary', async () => {
    const ex = upWith('Secondary/Secondary', 'Connected', 'UpToDate/UpToDate').on(adm('primary'), ok());
    await new DrbdHost(ex).promote(NAME, {});
    assert.deepEqual(ex.argvs, [...STATUS, ['drbdadm', 'primary', NAME]]);
  });

  test('promote with force: drbdadm primary --force', async () => {
    const ex = upWith('Secondary/Unknown', 'WFConnection', 'Inconsistent/DUnknown').on(adm('primary'), ok());
    await new DrbdHost(ex).promote(NAME, { force: true });
    assert.deepEqual(ex.argvs.at(-1), ['drbdadm', 'primary', '--force', NAME]);
  });

  test('promote of an Inconsistent disk without force fails (recorded exit 17)', async () => {
    const ex = upWith('Secondary/Unknown', 'WFConnection', 'Inconsistent/DUnknown').on(
      adm('primary'),
      rec('primary-inconsistent'),
    );
    await assert.rejects(new DrbdHost(ex).promote(NAME), /drbdadm exited with 17: .*primary 190/);
  });

  test('promote of a resource that is down is an error', async () => {
    const ex = down();
    await assert.rejects(new DrbdHost(ex).promote(NAME), /not up/);
    assert.deepEqual(ex.argvs, [ROLE]);
  });

  test('demote: no-op when Secondary or down', async () => {
    const sec = upWith('Secondary/Primary', 'Connected', 'UpToDate/UpToDate');
    await new DrbdHost(sec).demote(NAME);
    assert.deepEqual(sec.argvs, STATUS);
    const dn = down();
    await new DrbdHost(dn).demote(NAME);
    assert.deepEqual(dn.argvs, [ROLE]);
  });

  test('demote: Primary → drbdadm secondary; still mounted fails (recorded exit 11)', async () => {
    const ex = upWith('Primary/Secondary', 'Connected', 'UpToDate/UpToDate').on(adm('secondary'), ok());
    await new DrbdHost(ex).demote(NAME);
    assert.deepEqual(ex.argvs.at(-1), ['drbdadm', 'secondary', NAME]);
    const held = upWith('Primary/Unknown', 'WFConnection', 'UpToDate/DUnknown').on(
      adm('secondary'),
      rec('secondary-held-open'),
    );
    await assert.rejects(new DrbdHost(held).demote(NAME), /exited with 11: .*secondary 190/);
  });

  test('down: no-op when not up; drbdadm down when up; held open fails (recorded)', async () => {
    const dn = down();
    await new DrbdHost(dn).down(NAME);
    assert.deepEqual(dn.argvs, [ROLE]);
    const up = upWith('Secondary/Unknown', 'WFConnection', 'UpToDate/DUnknown').on(adm('down'), rec('down-not-up'));
    await new DrbdHost(up).down(NAME);
    assert.deepEqual(up.argvs, [...STATUS, ['drbdadm', 'down', NAME]]);
    const held = upWith('Primary/Unknown', 'WFConnection', 'UpToDate/DUnknown').on(adm('down'), rec('down-held-open'));
    await assert.rejects(new DrbdHost(held).down(NAME), /exited with 11/);
  });
});

describe('DrbdHost: filesystem and mount', () => {
  const BLKID = ['blkid', '-p', '-o', 'value', '-s', 'TYPE', DEV];
  const MKFS = ['mkfs.ext4', '-q', '-F', '-E', 'nodiscard,lazy_itable_init=1,lazy_journal_init=1', DEV];

  test('blank device (recorded blkid exit 2, silent): mkfs with a long timeout', async () => {
    const ex = new FakeExecutor().on(is('blkid'), rec('blkid-blank')).on(is('mkfs.ext4'), ok());
    assert.equal(await new DrbdHost(ex).ensureFilesystem(DEV), true);
    assert.deepEqual(ex.argvs, [BLKID, MKFS]);
    assert.equal(ex.calls[1].opts.timeoutMs, 120_000);
  });

  test('ext4 present (recorded): no mkfs', async () => {
    const ex = new FakeExecutor().on(is('blkid'), rec('blkid-ext4'));
    assert.equal(await new DrbdHost(ex).ensureFilesystem(DEV), false);
    assert.deepEqual(ex.argvs, [BLKID]);
  });

  test('a Secondary device (recorded: exit 2, Wrong medium type) is an error, not blank', async () => {
    const ex = new FakeExecutor().on(is('blkid'), rec('blkid-secondary'));
    await assert.rejects(new DrbdHost(ex).ensureFilesystem(DEV), /blkid exited with 2: .*Wrong medium type/);
    assert.deepEqual(ex.argvs, [BLKID]);
  });

  test('hostile devices run nothing', async () => {
    const ex = new FakeExecutor();
    for (const d of ['/dev/drbd1;reboot', '/dev/../etc/passwd', '$(id)', '/dev/a b']) {
      await assert.rejects(new DrbdHost(ex).ensureFilesystem(d), /invalid device path/);
      await assert.rejects(new DrbdHost(ex).mount(d, MNT), /invalid device path/);
    }
    assert.equal(ex.calls.length, 0);
  });

  test('mount: not mounted (recorded findmnt exit 1) → install -d, mount', async () => {
    const ex = new FakeExecutor().on(is('findmnt'), rec('findmnt-none')).on(is('install'), ok()).on(is('mount'), ok());
    await new DrbdHost(ex).mount(DEV, MNT);
    assert.deepEqual(ex.argvs, [
      FINDMNT,
      ['install', '-d', '-m', '0755', '--', MNT],
      ['mount', '-o', 'noatime,noinit_itable', DEV, MNT],
    ]);
  });

  test('mount: already mounted there: nothing else', async () => {
    const ex = new FakeExecutor().on(is('findmnt'), findmntAt(MNT, DEV));
    await new DrbdHost(ex).mount(DEV, MNT);
    assert.deepEqual(ex.argvs, [FINDMNT]);
  });

  test('mount: another device mounted there is an error', async () => {
    const ex = new FakeExecutor().on(is('findmnt'), findmntAt(MNT, '/dev/drbd7'));
    await assert.rejects(new DrbdHost(ex).mount(DEV, MNT), /already has \/dev\/drbd7 mounted/);
    assert.deepEqual(ex.argvs, [FINDMNT]);
  });

  test('unmount: umount when mounted; nothing when not', async () => {
    const m = new FakeExecutor().on(is('findmnt'), findmntAt(MNT, DEV)).on(is('umount'), ok());
    await new DrbdHost(m).unmount(MNT);
    assert.deepEqual(m.argvs, [FINDMNT, ['umount', MNT]]);
    const n = new FakeExecutor().on(is('findmnt'), rec('findmnt-none'));
    await new DrbdHost(n).unmount(MNT);
    assert.deepEqual(n.argvs, [FINDMNT]);
  });

  test('unsafe mount paths are refused before any command', async () => {
    for (const bad of ['relative/x', '/var/../etc', '/mnt/a b', '/mnt/$(id)', '/mnt/a;b', "/mnt/'x'", '', '-o']) {
      const ex = new FakeExecutor();
      await assert.rejects(new DrbdHost(ex).mount(DEV, bad), /unsafe mount path/, bad);
      await assert.rejects(new DrbdHost(ex).unmount(bad), /unsafe mount path/, bad);
      assert.equal(ex.calls.length, 0);
    }
  });
});
