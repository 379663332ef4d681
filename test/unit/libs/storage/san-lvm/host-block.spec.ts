import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandResult, RunOptions } from '@app/domain/ports/infrastructure';
import { HostBlockDevices } from '@app/storage/san-lvm/host-block';
import { SanBackendClient } from '@app/storage/san-lvm/san-backend.client';
import { LIO_HELPER_PY } from '@app/storage/san-lvm/lio-helper';
import { CommandFailed } from '@app/storage/host/run-checked';
import { maskSecrets } from '@app/domain/ports';
import { sshCommandLine } from '@app/hosts/executors/ssh-executor';
import { fixture } from '../../../support/san-fixtures';
import { fail, FakeExecutor, ok } from '../../../../support/fake-executor';

// ---------------------------------------------------------------------------------------------------------------

/** A recorded output as a command result: stdout on success, stderr on failure (the recordings mix both). */
function rec(name: string, exitOverride?: number): CommandResult {
  const f = fixture(name);
  const exitCode = exitOverride ?? f.exit ?? 0;
  return exitCode === 0 ? { exitCode, stdout: f.text, stderr: '' } : { exitCode, stdout: '', stderr: f.text };
}

const is =
  (prog: string, ...args: string[]) =>
  (argv: readonly string[]) =>
    argv[0] === prog && args.every((a) => argv.includes(a));
const iscsi = (mode: string, ...args: string[]) => is('iscsiadm', '-m', mode, ...args);

const T = 'iqn.2026-11.io.dbaas:dev-test1';
const P = '10.99.0.10:3260';
const VG = 'dbaas-dev1';
const LV = 'vol-a';
const MNT = '/var/lib/dbaas/mnt/vol-a';
const DEV = `/dev/${VG}/${LV}`;
const NODE = ['iscsiadm', '-m', 'node', '-T', T, '-p', P];
const R = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];
const LVS = ['lvs', ...R, '-o', 'lv_name,vg_name,lv_size,lv_path,lv_active,pool_lv', VG];
const PVS = ['pvs', ...R, '-o', 'pv_name,vg_name,pv_size,pv_free'];
const SESSIONS = ['iscsiadm', '-m', 'session', '-P', '3'];
const FINDMNT = ['findmnt', '-n', '-o', 'TARGET', '--mountpoint', MNT];
const EMPTY_LVS =
  '  {\n      "report": [\n          {\n              "lv": [\n              ]\n          }\n      ]\n  }\n';
const EMPTY_PVS =
  '  {\n      "report": [\n          {\n              "pv": [\n              ]\n          }\n      ]\n  }\n';
/** What `findmnt -n -o TARGET --mountpoint X` prints, taken from the recorded (JSON) findmnt output. */
const findmntTarget = () =>
  ok(`${(JSON.parse(fixture('findmnt').text) as { filesystems: { target: string }[] }).filesystems[0].target}\n`);
/** lvs output with vol-a resized to `bytes`. */
const lvsSized = (bytes: number) =>
  ok(fixture('lvs-json').text.replace('"lv_size":"314572800"', `"lv_size":"${bytes}"`));

const ATT = { iqn: T, portal: P, chapUser: 'u-dev1', chapPassword: 's3cr3t-Pw' };

describe('HostBlockDevices.attach', () => {
  test('not logged in: discovery, CHAP settings, node.startup, login, then the disk from the session poll', async () => {
    const ex = new FakeExecutor()
      .on(iscsi('session'), rec('session-none'), rec('session-p3'))
      .on(iscsi('discovery'), rec('discovery'))
      .on(iscsi('node', '-o', 'update'), ok())
      .on(
        iscsi('node', '--login'),
        ok(
          `Logging in to [iface: default, target: ${T}, portal: 10.99.0.10,3260]\nLogin to [iface: default, target: ${T}, portal: 10.99.0.10,3260] successful.\n`,
        ),
      );
    const disk = await new HostBlockDevices(ex).attach(ATT);
    assert.equal(disk, '/dev/sda');
    assert.deepEqual(ex.argvs, [
      SESSIONS,
      ['iscsiadm', '-m', 'discovery', '-t', 'st', '-p', P],
      [...NODE, '-o', 'update', '-n', 'node.session.auth.authmethod', '-v', 'CHAP'],
      [...NODE, '-o', 'update', '-n', 'node.session.auth.username', '-v', 'u-dev1'],
      [...NODE, '-o', 'update', '-n', 'node.session.auth.password', '-v', 's3cr3t-Pw'],
      [...NODE, '-o', 'update', '-n', 'node.startup', '-v', 'automatic'],
      [...NODE, '--login'],
      SESSIONS,
    ]);
    // The password is masked: only its own command carries it, and that command declares it secret.
    for (const c of ex.calls) {
      if (c.argv.includes('s3cr3t-Pw')) assert.deepEqual(c.opts.secrets, ['s3cr3t-Pw']);
    }
    assert.equal(ex.calls.filter((c) => c.argv.includes('s3cr3t-Pw')).length, 1);
  });

  test('keeps polling until the disk appears after the login', async () => {
    const noDisk = ok(fixture('session-p3').text.replace(/^.*Attached scsi disk.*$/m, ''));
    const ex = new FakeExecutor()
      .on(iscsi('session'), rec('session-none'), noDisk, rec('session-p3'))
      .on(iscsi('discovery'), rec('discovery'))
      .on(iscsi('node'), ok());
    assert.equal(await new HostBlockDevices(ex).attach(ATT), '/dev/sda');
    assert.equal(ex.argvs.filter((a) => a[2] === 'session').length, 3);
    assert.deepEqual(ex.argvs.at(-1), SESSIONS);
  });

  test('already logged in: only the session query', async () => {
    const ex = new FakeExecutor().on(iscsi('session'), rec('session-p3'));
    assert.equal(await new HostBlockDevices(ex).attach(ATT), '/dev/sda');
    assert.deepEqual(ex.argvs, [SESSIONS]);
  });

  test('a session to another target does not count', async () => {
    const other = ok(fixture('session-p3').text.replace('dev-test1', 'dev-other'));
    const ex = new FakeExecutor()
      .on(iscsi('session'), other, rec('session-p3'))
      .on(iscsi('discovery'), rec('discovery'))
      .on(iscsi('node'), ok());
    assert.equal(await new HostBlockDevices(ex).attach(ATT), '/dev/sda');
    assert.ok(ex.argvs.some((a) => a.includes('--login')));
  });

  test('login refused (exit 24, authorization failure) is an error, and no disk is polled for', async () => {
    const ex = new FakeExecutor()
      .on(iscsi('session'), rec('session-none'))
      .on(iscsi('discovery'), rec('discovery'))
      .on(iscsi('node', '--login'), rec('login-denied', 24))
      .on(iscsi('node'), ok());
    await assert.rejects(new HostBlockDevices(ex).attach(ATT), (err: unknown) => {
      assert.ok(err instanceof CommandFailed);
      assert.equal(err.result.exitCode, 24);
      assert.match(err.message, /^iscsiadm exited with 24: /);
      return true;
    });
    assert.deepEqual(ex.argvs.at(-1), [...NODE, '--login']);
    assert.equal(ex.argvs.filter((a) => a[2] === 'session').length, 1);
  });

  test('login "session exists" (exit 15) is accepted', async () => {
    const ex = new FakeExecutor()
      .on(iscsi('session'), rec('session-none'), rec('session-p3'))
      .on(iscsi('discovery'), rec('discovery'))
      .on(iscsi('node', '--login'), fail(15, 'iscsiadm: default: 1 session requested, but 1 already present.\n'))
      .on(iscsi('node'), ok());
    assert.equal(await new HostBlockDevices(ex).attach(ATT), '/dev/sda');
  });

  test('hostile portal: nothing is run past the session query', async () => {
    const ex = new FakeExecutor().on(iscsi('session'), rec('session-none'));
    await assert.rejects(new HostBlockDevices(ex).attach({ ...ATT, portal: `${P};id` }), /invalid iSCSI portal/);
    assert.deepEqual(ex.argvs, [SESSIONS]);
  });

  test('hostile IQN: no node command is run (only the target-independent discovery)', async () => {
    const ex = new FakeExecutor().on(iscsi('session'), rec('session-none')).on(iscsi('discovery'), rec('discovery'));
    await assert.rejects(new HostBlockDevices(ex).attach({ ...ATT, iqn: `${T};reboot` }), /invalid iSCSI name/);
    assert.deepEqual(ex.argvs, [SESSIONS, ['iscsiadm', '-m', 'discovery', '-t', 'st', '-p', P]]);
  });
});

describe('HostBlockDevices.detach', () => {
  test('logout and node delete tolerate "no objects" (exit 21)', async () => {
    const ex = new FakeExecutor()
      .on(iscsi('node', '--logout'), rec('logout-nosession'))
      .on(iscsi('node', '-o', 'delete'), rec('nodedelete'));
    await new HostBlockDevices(ex).detach({ iqn: T, portal: P });
    assert.deepEqual(ex.argvs, [
      [...NODE, '--logout'],
      [...NODE, '-o', 'delete'],
    ]);
  });

  test('another logout failure is an error', async () => {
    const ex = new FakeExecutor().on(iscsi('node', '--logout'), fail(8, 'iscsiadm: Could not logout: timed out\n'));
    await assert.rejects(new HostBlockDevices(ex).detach({ iqn: T, portal: P }), /iscsiadm exited with 8/);
    assert.equal(ex.calls.length, 1);
  });
});

describe('HostBlockDevices.ensureVg', () => {
  test('fresh disk: pvcreate, vgcreate, vgchange', async () => {
    const ex = new FakeExecutor()
      .on(is('pvs'), ok(EMPTY_PVS))
      .on(is('pvcreate'), rec('pvcreate'))
      .on(is('vgcreate'), rec('vgcreate'))
      .on(is('vgchange'), ok('  1 logical volume(s) in volume group "dbaas-dev1" now active\n'));
    await new HostBlockDevices(ex).ensureVg(VG, '/dev/sda');
    assert.deepEqual(ex.argvs, [
      PVS,
      ['pvcreate', '-y', '/dev/sda'],
      ['vgcreate', '-y', VG, '/dev/sda'],
      ['vgchange', '-a', 'y', VG],
    ]);
  });

  test('existing PV in this VG: only vgchange', async () => {
    const ex = new FakeExecutor().on(is('pvs'), rec('pvs-json')).on(is('vgchange'), ok());
    await new HostBlockDevices(ex).ensureVg(VG, '/dev/sda');
    assert.deepEqual(ex.argvs, [PVS, ['vgchange', '-a', 'y', VG]]);
  });

  test('a PV on another disk does not count', async () => {
    const ex = new FakeExecutor()
      .on(is('pvs'), rec('pvs-json'))
      .on(is('pvcreate'), ok())
      .on(is('vgcreate'), ok())
      .on(is('vgchange'), ok());
    await new HostBlockDevices(ex).ensureVg('dbaas-dev2', '/dev/sdb');
    assert.deepEqual(
      ex.argvs.slice(1).map((a) => a[0]),
      ['pvcreate', 'vgcreate', 'vgchange'],
    );
  });

  test('PV without a VG: vgcreate then vgchange', async () => {
    const ex = new FakeExecutor()
      .on(is('pvs'), ok(fixture('pvs-json').text.replace('"vg_name":"dbaas-dev1"', '"vg_name":""')))
      .on(is('vgcreate'), ok())
      .on(is('vgchange'), ok());
    await new HostBlockDevices(ex).ensureVg(VG, '/dev/sda');
    assert.deepEqual(ex.argvs, [PVS, ['vgcreate', '-y', VG, '/dev/sda'], ['vgchange', '-a', 'y', VG]]);
  });

  test('PV of another VG: refused, nothing changed', async () => {
    const ex = new FakeExecutor().on(is('pvs'), rec('pvs-json'));
    await assert.rejects(
      new HostBlockDevices(ex).ensureVg('dbaas-other', '/dev/sda'),
      /belongs to volume group dbaas-dev1/,
    );
    assert.deepEqual(ex.argvs, [PVS]);
  });
});

describe('HostBlockDevices.ensureVolume', () => {
  test('everything present: no lvcreate, mkfs, mkdir or mount', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), rec('lvs-json'))
      .on(is('blkid'), rec('blkid-ext4'))
      .on(is('findmnt'), findmntTarget);
    assert.equal(await new HostBlockDevices(ex).ensureVolume(VG, LV, 1, MNT), DEV);
    assert.deepEqual(ex.argvs, [LVS, ['blkid', '-o', 'value', '-s', 'TYPE', DEV], FINDMNT]);
  });

  test('nothing present: lvcreate, mkfs, mkdir, mount', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), ok(EMPTY_LVS))
      .on(is('lvcreate'), rec('lvcreate'))
      .on(is('blkid'), rec('blkid-empty'))
      .on(is('mkfs.ext4'), rec('mkfs'))
      .on(is('findmnt'), rec('findmnt-none'))
      .on(is('install'), ok())
      .on(is('mount'), rec('mount'));
    assert.equal(await new HostBlockDevices(ex).ensureVolume(VG, LV, 10, MNT), DEV);
    assert.deepEqual(ex.argvs, [
      LVS,
      ['lvcreate', '-y', '-n', LV, '-L', '10g', VG],
      ['blkid', '-o', 'value', '-s', 'TYPE', DEV],
      ['mkfs.ext4', '-q', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', DEV],
      FINDMNT,
      ['install', '-d', '-m', '0755', '--', MNT],
      ['mount', '-o', 'noatime', DEV, MNT],
    ]);
  });

  test('LV present but no filesystem: only mkfs and mount', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), rec('lvs-json'))
      .on(is('blkid'), rec('blkid-empty'))
      .on(is('mkfs.ext4'), ok())
      .on(is('findmnt'), rec('findmnt-none'))
      .on(is('install'), ok())
      .on(is('mount'), ok());
    await new HostBlockDevices(ex).ensureVolume(VG, LV, 1, MNT);
    assert.deepEqual(
      ex.argvs.map((a) => a[0]),
      ['lvs', 'blkid', 'mkfs.ext4', 'findmnt', 'install', 'mount'],
    );
  });

  test('something else mounted there is not "mounted"', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), rec('lvs-json'))
      .on(is('blkid'), rec('blkid-ext4'))
      .on(is('findmnt'), ok('/var/lib/dbaas/mnt\n'))
      .on(is('install'), ok())
      .on(is('mount'), ok());
    await new HostBlockDevices(ex).ensureVolume(VG, LV, 1, MNT);
    assert.deepEqual(ex.argvs.at(-1), ['mount', '-o', 'noatime', DEV, MNT]);
  });

  test('unsafe mount paths are refused before any command', async () => {
    for (const bad of ['relative/x', '/var/../etc', '/mnt/a b', '/mnt/$(id)', '/mnt/a;b', '', '-o']) {
      const ex = new FakeExecutor();
      await assert.rejects(new HostBlockDevices(ex).ensureVolume(VG, LV, 1, bad), /unsafe mount path/, bad);
      assert.equal(ex.calls.length, 0);
    }
  });

  test('lvcreate failure (no space) stops the sequence', async () => {
    const ex = new FakeExecutor().on(is('lvs'), ok(EMPTY_LVS)).on(is('lvcreate'), rec('lvcreate-nospace'));
    await assert.rejects(
      new HostBlockDevices(ex).ensureVolume(VG, LV, 5, MNT),
      /lvcreate exited with 5: .*insufficient free space/,
    );
    assert.equal(ex.calls.length, 2);
  });
});

describe('HostBlockDevices.growVolume', () => {
  test('smaller LV: lvextend then resize2fs', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), rec('lvs-json'))
      .on(is('lvextend'), rec('lvextend'))
      .on(is('resize2fs'), rec('resize2fs'));
    await new HostBlockDevices(ex).growVolume(VG, LV, 1);
    assert.deepEqual(ex.argvs, [LVS, ['lvextend', '-L', '1g', `${VG}/${LV}`], ['resize2fs', DEV]]);
  });

  test('LV already at the size: no lvextend, resize2fs all the same', async () => {
    const ex = new FakeExecutor().on(is('lvs'), lvsSized(2 ** 30)).on(is('resize2fs'), rec('resize2fs'));
    await new HostBlockDevices(ex).growVolume(VG, LV, 1);
    assert.deepEqual(ex.argvs, [LVS, ['resize2fs', DEV]]);
  });

  test('one byte short still extends', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), lvsSized(2 * 2 ** 30 - 1))
      .on(is('lvextend'), ok())
      .on(is('resize2fs'), ok());
    await new HostBlockDevices(ex).growVolume(VG, LV, 2);
    assert.deepEqual(
      ex.argvs.map((a) => a[0]),
      ['lvs', 'lvextend', 'resize2fs'],
    );
  });

  test('missing LV is an error', async () => {
    const ex = new FakeExecutor().on(is('lvs'), ok(EMPTY_LVS));
    await assert.rejects(new HostBlockDevices(ex).growVolume(VG, LV, 1), /not found/);
    assert.deepEqual(ex.argvs, [LVS]);
  });
});

describe('HostBlockDevices.removeVolume', () => {
  const RMDIR = ['rmdir', '--ignore-fail-on-non-empty', '--', MNT];
  // A takeover's guard (an empty file named data under the mount point) goes; a data directory is never matched.
  const GUARD = ['find', MNT, '-maxdepth', '1', '-name', 'data', '-type', 'f', '-empty', '-delete'];
  test('mounted: umount, rmdir, lvremove; a missing LV (exit 5, not found) is done', async () => {
    const ex = new FakeExecutor()
      .on(is('findmnt'), findmntTarget)
      .on(is('umount'), rec('umount'))
      .on(is('find'), ok())
      .on(is('rmdir'), ok())
      .on(is('lvremove'), rec('lvremove-missing'));
    await new HostBlockDevices(ex).removeVolume(VG, LV, MNT);
    assert.deepEqual(ex.argvs, [FINDMNT, ['umount', MNT], GUARD, RMDIR, ['lvremove', '-y', `${VG}/${LV}`]]);
  });

  test('not mounted: no umount; rmdir failing (exit 1) is tolerated', async () => {
    const ex = new FakeExecutor()
      .on(is('findmnt'), rec('findmnt-none'))
      .on(is('find'), ok())
      .on(is('rmdir'), fail(1, `rmdir: failed to remove '${MNT}': No such file or directory\n`))
      .on(is('lvremove'), ok(`  Logical volume "${LV}" successfully removed.\n`));
    await new HostBlockDevices(ex).removeVolume(VG, LV, MNT);
    assert.deepEqual(ex.argvs, [FINDMNT, GUARD, RMDIR, ['lvremove', '-y', `${VG}/${LV}`]]);
  });

  for (const [label, stderr] of [
    ['in use', `  Logical volume ${VG}/${LV} contains a filesystem in use.\n`],
    ['recorded "insufficient free space"', fixture('lvcreate-nospace').text],
    ['recorded "already exists"', fixture('lvcreate-exists').text],
  ] as const) {
    test(`another exit-5 error (${label}) fails`, async () => {
      const ex = new FakeExecutor()
        .on(is('findmnt'), rec('findmnt-none'))
        .on(is('find'), ok())
        .on(is('rmdir'), ok())
        .on(is('lvremove'), fail(5, stderr));
      await assert.rejects(new HostBlockDevices(ex).removeVolume(VG, LV, MNT), /lvremove failed/);
    });
  }

  test('a non-5 lvremove exit fails', async () => {
    const ex = new FakeExecutor()
      .on(is('findmnt'), rec('findmnt-none'))
      .on(is('find'), ok())
      .on(is('rmdir'), ok())
      .on(is('lvremove'), fail(3, '  not found\n'));
    await assert.rejects(new HostBlockDevices(ex).removeVolume(VG, LV, MNT), CommandFailed);
  });
});

describe('HostBlockDevices: other steps', () => {
  test('initiatorName reads the file', async () => {
    const ex = new FakeExecutor().on(is('cat'), ok('## DO NOT EDIT\nInitiatorName=iqn.2024-01.lab.dbaas:host1\n'));
    assert.equal(await new HostBlockDevices(ex).initiatorName(), 'iqn.2024-01.lab.dbaas:host1');
    assert.deepEqual(ex.argvs, [['cat', '/etc/iscsi/initiatorname.iscsi']]);
  });

  test('usedBytes reads df', async () => {
    // df.txt was recorded with --output=size,used,avail; the command asks for the Used column only.
    const [head, row] = fixture('df')
      .text.trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const used = row[head.indexOf('Used')];
    const ex = new FakeExecutor().on(is('df'), ok(`    Used\n${used.padStart(8)}\n`));
    assert.equal(await new HostBlockDevices(ex).usedBytes(MNT), 15360);
    assert.deepEqual(ex.argvs, [['df', '-B1', '--output=used', MNT]]);
  });

  test('vgFreeBytes from vgs', async () => {
    const ex = new FakeExecutor().on(is('vgs'), rec('vgs-json'));
    const h = new HostBlockDevices(ex);
    assert.deepEqual(await h.vgFreeBytes(VG), { free: 754_974_720, lvs: 1 });
    assert.equal(await h.vgFreeBytes('nope'), null);
  });

  test('removeVg tolerates a missing VG and removes the PV', async () => {
    const ex = new FakeExecutor().on(is('vgremove'), rec('vgremove')).on(is('pvremove'), rec('pvremove'));
    await new HostBlockDevices(ex).removeVg(VG, '/dev/sda');
    assert.deepEqual(ex.argvs, [
      ['vgremove', '-y', VG],
      ['pvremove', '-y', '/dev/sda'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('SanBackendClient', () => {
  const LUN = {
    name: LV,
    iqn: T,
    sizeGb: 1,
    initiators: ['iqn.2024-01.lab.dbaas:host1', 'iqn.2024-01.lab.dbaas:host2'],
    chapUser: 'u-dev1',
    chapPassword: 'Sup3r-S3cret',
  };
  const lioOut = ok(
    `{"iqn": "${T}", "lun": 0, "initiators": ["iqn.2024-01.lab.dbaas:host1", "iqn.2024-01.lab.dbaas:host2"]}\n`,
  );
  const client = (ex: FakeExecutor) => new SanBackendClient(ex, VG, '10.99.0.10', 3260);

  function assertLioCall(call: { argv: string[]; opts: RunOptions }, action: string, args: unknown) {
    assert.equal(call.argv.length, 5);
    assert.equal(call.argv[0], 'python3');
    assert.equal(call.argv[1], '-c');
    assert.equal(call.argv[2], LIO_HELPER_PY); // the script itself is one argument, never spliced into a string
    assert.equal(call.argv[3], action);
    assert.deepEqual(JSON.parse(call.argv[4]), args);
  }

  test('ensureLun with the LV present: no lvcreate; the export carries the initiators, the password is secret', async () => {
    const ex = new FakeExecutor().on(is('lvs'), rec('lvs-json')).on(is('python3'), lioOut);
    await client(ex).ensureLun(LUN);
    assert.deepEqual(
      ex.argvs.map((a) => a[0]),
      ['lvs', 'python3'],
    );
    assert.deepEqual(ex.argvs[0], LVS);
    const lio = ex.calls[1];
    assertLioCall(lio, 'ensure-export', {
      name: LV,
      device: DEV,
      iqn: T,
      portalIp: '10.99.0.10',
      portalPort: 3260,
      initiators: ['iqn.2024-01.lab.dbaas:host1', 'iqn.2024-01.lab.dbaas:host2'],
      chapUser: 'u-dev1',
      chapPassword: 'Sup3r-S3cret',
    });
    assert.deepEqual(lio.opts.secrets, ['Sup3r-S3cret']);
    // As the SSH executor logs it: quoted line, then masked.
    const logged = maskSecrets(sshCommandLine(lio.argv), lio.opts.secrets);
    assert.ok(!logged.includes('Sup3r-S3cret'));
    assert.ok(logged.includes('"chapPassword":"***"'));
  });

  // The secret is given raw, but the argument holds it JSON-escaped (\" and \\), so the mask misses it.
  test('a password with a quote or backslash is masked too', async () => {
    const ex = new FakeExecutor().on(is('lvs'), rec('lvs-json')).on(is('python3'), lioOut);
    const pw = 'ab"cd\\ef';
    await client(ex).ensureLun({ ...LUN, chapPassword: pw });
    const lio = ex.calls[1];
    assert.equal(JSON.parse(lio.argv[4]).chapPassword, pw);
    const logged = maskSecrets(sshCommandLine(lio.argv), lio.opts.secrets);
    assert.ok(!logged.includes('cd'), logged);
  });

  test('ensureLun with the LV missing: lvcreate first', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), ok(EMPTY_LVS))
      .on(is('lvcreate'), rec('lvcreate'))
      .on(is('python3'), lioOut);
    await client(ex).ensureLun({ ...LUN, sizeGb: 5 });
    assert.deepEqual(ex.argvs.slice(0, 2), [LVS, ['lvcreate', '-y', '-n', LV, '-L', '5g', VG]]);
    assert.equal(ex.argvs[2][0], 'python3');
  });

  test('ensureLun with a hostile initiator runs no export', async () => {
    const ex = new FakeExecutor().on(is('lvs'), rec('lvs-json')).on(is('python3'), lioOut);
    await assert.rejects(
      client(ex).ensureLun({ ...LUN, initiators: ["iqn.2024-01.lab.dbaas:host1'); import os; os.system('id"] }),
      /invalid iSCSI name/,
    );
    assert.ok(!ex.argvs.some((a) => a[0] === 'python3'));
  });

  test('a failing helper is an error naming python3', async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), rec('lvs-json'))
      .on(is('python3'), fail(3, 'lio: Cannot find storage object\n'));
    await assert.rejects(client(ex).ensureLun(LUN), /python3 exited with 3: lio: Cannot find storage object/);
  });

  test('setInitiators: one helper call with the new list', async () => {
    const ex = new FakeExecutor().on(is('python3'), lioOut);
    await client(ex).setInitiators({
      iqn: T,
      initiators: ['iqn.2024-01.lab.dbaas:host2'],
      chapUser: 'u-dev1',
      chapPassword: 'pw-2',
    });
    assert.equal(ex.calls.length, 1);
    assertLioCall(ex.calls[0], 'set-initiators', {
      iqn: T,
      initiators: ['iqn.2024-01.lab.dbaas:host2'],
      chapUser: 'u-dev1',
      chapPassword: 'pw-2',
    });
    assert.deepEqual(ex.calls[0].opts.secrets, ['pw-2']);
  });

  test('setInitiators with no initiators fences everyone', async () => {
    const ex = new FakeExecutor().on(is('python3'), lioOut);
    await client(ex).setInitiators({ iqn: T, initiators: [], chapUser: 'u', chapPassword: 'p' });
    assert.deepEqual(JSON.parse(ex.argvs[0][4]).initiators, []);
  });

  test('confirmOnly: the storage server, read back, must list no other initiator nor session', async () => {
    const show = (o: object) => ({ exitCode: 0, stdout: JSON.stringify(o) + '\n', stderr: '' });
    const h2 = 'iqn.2024-01.lab.dbaas:host2';
    const h1 = 'iqn.2024-01.lab.dbaas:host1';
    const ok = new FakeExecutor().on(is('python3'), () => show({ exists: true, initiators: [h2], sessions: [h2] }));
    assert.match(await client(ok).confirmOnly(T, [h2]), /lists only iqn.2024-01.lab.dbaas:host2/);
    assert.equal(ok.argvs[0][3], 'show');
    const acl = new FakeExecutor().on(is('python3'), () => show({ exists: true, initiators: [h1, h2], sessions: [] }));
    await assert.rejects(client(acl).confirmOnly(T, [h2]), /still lets iqn.2024-01.lab.dbaas:host1 in/);
    const session = new FakeExecutor().on(is('python3'), () =>
      show({ exists: true, initiators: [h2], sessions: [h1] }),
    );
    await assert.rejects(client(session).confirmOnly(T, [h2]), /still lets iqn.2024-01.lab.dbaas:host1 in/);
    const gone = new FakeExecutor().on(is('python3'), () => show({ exists: false }));
    await assert.rejects(client(gone).confirmOnly(T, [h2]), /target .* is gone/);
  });

  test('the fence confirmed from the read-back of the ACL change: one call to the storage server, not two', async () => {
    const h2 = 'iqn.2024-01.lab.dbaas:host2';
    const h1 = 'iqn.2024-01.lab.dbaas:host1';
    const answer = (o: object) => () => ({ exitCode: 0, stdout: JSON.stringify(o) + '\n', stderr: '' });
    const ex = new FakeExecutor().on(is('python3'), answer({ exists: true, initiators: [h2], sessions: [], iqn: T }));
    const c = client(ex);
    const readBack = await c.setInitiators({ iqn: T, initiators: [h2], chapUser: 'u', chapPassword: 'p' });
    assert.match(await c.confirmOnly(T, [h2], readBack), /lists only/);
    assert.equal(ex.calls.length, 1);
    // A read-back that still lists the old host refuses, as a separate read would.
    const stale = new FakeExecutor().on(is('python3'), answer({ exists: true, initiators: [h1, h2], sessions: [] }));
    const c2 = client(stale);
    const back = await c2.setInitiators({ iqn: T, initiators: [h2], chapUser: 'u', chapPassword: 'p' });
    await assert.rejects(c2.confirmOnly(T, [h2], back), /still lets iqn.2024-01.lab.dbaas:host1 in/);
  });

  test('growLun: lvextend only when smaller', async () => {
    const small = new FakeExecutor().on(is('lvs'), rec('lvs-json')).on(is('lvextend'), rec('lvextend'));
    await client(small).growLun(LV, 1);
    assert.deepEqual(small.argvs, [LVS, ['lvextend', '-L', '1g', `${VG}/${LV}`]]);
    const big = new FakeExecutor().on(is('lvs'), lvsSized(2 ** 30));
    await client(big).growLun(LV, 1);
    assert.deepEqual(big.argvs, [LVS]);
  });

  test('removeLun: export removed, then the LV; a missing LV is done', async () => {
    const ex = new FakeExecutor()
      .on(is('python3'), ok(`{"removed": "${T}"}\n`))
      .on(is('lvremove'), rec('lvremove-missing'));
    await client(ex).removeLun(LV, T);
    assertLioCall(ex.calls[0], 'remove-export', { iqn: T, name: LV });
    assert.deepEqual(ex.argvs[1], ['lvremove', '-y', `${VG}/${LV}`]);
    assert.equal(ex.calls.length, 2);
  });

  test('removeLun: another exit-5 error fails', async () => {
    const ex = new FakeExecutor()
      .on(is('python3'), ok('{}\n'))
      .on(is('lvremove'), fail(5, `  Logical volume ${VG}/${LV} in use.\n`));
    await assert.rejects(client(ex).removeLun(LV, T), /lvremove failed/);
  });

  test('describe parses the last line of the helper output', async () => {
    const ex = new FakeExecutor().on(
      is('python3'),
      ok('some warning\n{"exists": true, "initiators": ["iqn.2024-01.lab.dbaas:host1"]}\n'),
    );
    assert.deepEqual(await client(ex).describe(T), { exists: true, initiators: ['iqn.2024-01.lab.dbaas:host1'] });
    assertLioCall(ex.calls[0], 'show', { iqn: T });
  });

  test('freeBytes from vgs; a missing VG is an error', async () => {
    const ex = new FakeExecutor().on(is('vgs'), rec('vgs-json'));
    assert.equal(await client(ex).freeBytes(), 754_974_720);
    await assert.rejects(
      new SanBackendClient(ex, 'other-vg', '10.99.0.10', 3260).freeBytes(),
      /volume group other-vg not found/,
    );
  });
});
