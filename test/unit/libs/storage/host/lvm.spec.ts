import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { devicePath, lvmCmd, lvmName } from '../../libs/storage/src/host/lvm';
import {
  ISCSI_AUTH_FAILURE,
  ISCSI_NO_OBJECTS,
  ISCSI_SESSION_EXISTS,
  iqn,
  iscsiCmd,
  portal,
} from '../../libs/storage/src/san-lvm/iscsi';

const R = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];
const T = 'iqn.2026-11.io.dbaas:dev-test1';
const P = '10.99.0.10:3260';

const BAD_LVM_NAMES = [
  'a;reboot',
  '$(id)',
  '-rf',
  '..',
  '.',
  'A B',
  'x/y',
  '',
  'Abc',
  'a b',
  "a'b",
  'a"b',
  'a`id`',
  'a\nb',
  'a|b',
  'a&b',
  '*',
  '_a',
  'a'.repeat(102),
];
const BAD_DEVICES = [
  '/dev/../etc/passwd',
  '/dev/sda/../../etc/shadow',
  '/dev/sda;rm',
  '/dev/sda rm',
  'relative',
  'sda',
  '/etc/passwd',
  '/dev/',
  '/dev/$(id)',
  '/dev/`id`',
  "/dev/sd'a",
  '/dev/sda\n',
  '-rf',
  '',
];
const BAD_IQNS = [
  'iqn.2026-11.io.dbaas:dev test1',
  'iqn.2026-11.io.dbaas:dev"test1',
  "iqn.2026-11.io.dbaas:dev'test1",
  'iqn.2026-11.io.dbaas:dev;reboot',
  'iqn.2026-11.io.dbaas:$(id)',
  'iqn.2026-11.io.dbaas:dev-test1\n',
  ' iqn.2026-11.io.dbaas:dev-test1',
  'iqn.26-11.io.dbaas:x',
  'iqn.2026-11.IO.dbaas:x',
  'eui.02004567A425678D',
  '-iqn.2026-11.io.dbaas:x',
  `iqn.2026-11.io.dbaas:${'a'.repeat(224)}`,
  '',
];
const BAD_PORTALS = [
  '1.2.3.4:3260;id',
  '1.2.3.4',
  '1.2.3.4:',
  ':3260x',
  '1.2.3.4:3260 ',
  'host.example:3260',
  '1.2.3.4:$(id)',
  '1.2.3.4:123456',
  '-p:3260',
  '',
];
const BAD_SIZES = [0, -1, 1.5, 1e9, 65537, Number.NaN, Number.POSITIVE_INFINITY];

describe('LVM command builders: exact argv', () => {
  test('reports', () => {
    assert.deepEqual(lvmCmd.lvs(), ['lvs', ...R, '-o', 'lv_name,vg_name,lv_size,lv_path,lv_active,pool_lv']);
    assert.deepEqual(lvmCmd.lvs('dbaas-dev1'), [
      'lvs',
      ...R,
      '-o',
      'lv_name,vg_name,lv_size,lv_path,lv_active,pool_lv',
      'dbaas-dev1',
    ]);
    assert.deepEqual(lvmCmd.vgs(), ['vgs', ...R, '-o', 'vg_name,vg_size,vg_free,lv_count,pv_count']);
    assert.deepEqual(lvmCmd.pvs(), ['pvs', ...R, '-o', 'pv_name,vg_name,pv_size,pv_free']);
  });

  test('logical volumes', () => {
    assert.deepEqual(lvmCmd.lvcreate('dbaas-dev1', 'vol-a', 10), [
      'lvcreate',
      '-y',
      '-n',
      'vol-a',
      '-L',
      '10g',
      'dbaas-dev1',
    ]);
    assert.deepEqual(lvmCmd.lvcreate('vg0', 'db_1.x+y', 65536), [
      'lvcreate',
      '-y',
      '-n',
      'db_1.x+y',
      '-L',
      '65536g',
      'vg0',
    ]);
    assert.deepEqual(lvmCmd.lvextend('dbaas-dev1', 'vol-a', 20), ['lvextend', '-L', '20g', 'dbaas-dev1/vol-a']);
    assert.deepEqual(lvmCmd.lvremove('dbaas-dev1', 'vol-a'), ['lvremove', '-y', 'dbaas-dev1/vol-a']);
  });

  test('thin snapshot, rename, import of a cloned volume group', () => {
    assert.deepEqual(lvmCmd.lvcreateThinSnapshot('san', 'lun-abc', 'lun-def'), [
      'lvcreate',
      '-y',
      '-s',
      '--setactivationskip',
      'n',
      '-n',
      'lun-def',
      'san/lun-abc',
    ]);
    assert.deepEqual(lvmCmd.lvrename('dbaas-x', 'v-1', 'v-2'), ['lvrename', 'dbaas-x', 'v-1', 'v-2']);
    assert.deepEqual(lvmCmd.vgimportclone('dbaas-y', '/dev/sdc'), [
      'vgimportclone',
      '--basevgname',
      'dbaas-y',
      '/dev/sdc',
    ]);
  });

  test('physical volumes and volume groups', () => {
    assert.deepEqual(lvmCmd.pvcreate('/dev/sda'), ['pvcreate', '-y', '/dev/sda']);
    assert.deepEqual(lvmCmd.pvresize('/dev/sdb'), ['pvresize', '/dev/sdb']);
    assert.deepEqual(lvmCmd.pvremove('/dev/disk/by-path/ip-10.99.0.10:3260-iscsi-x-lun-0'.replace(/:/g, '_')), [
      'pvremove',
      '-y',
      '/dev/disk/by-path/ip-10.99.0.10_3260-iscsi-x-lun-0',
    ]);
    assert.deepEqual(lvmCmd.vgcreate('dbaas-dev1', '/dev/sda'), ['vgcreate', '-y', 'dbaas-dev1', '/dev/sda']);
    assert.deepEqual(lvmCmd.vgremove('dbaas-dev1'), ['vgremove', '-y', 'dbaas-dev1']);
    assert.deepEqual(lvmCmd.vgchange('dbaas-dev1', true), ['vgchange', '-a', 'y', 'dbaas-dev1']);
    assert.deepEqual(lvmCmd.vgchange('dbaas-dev1', false), ['vgchange', '-a', 'n', 'dbaas-dev1']);
  });

  test('valid names and paths pass through unchanged', () => {
    for (const n of ['a', '0', 'vol-a', 'dbaas-dev1', 'a.b_c+d-e', 'a'.repeat(101)]) assert.equal(lvmName(n), n);
    for (const d of ['/dev/sda', '/dev/dbaas-dev1/vol-a', '/dev/mapper/dbaas--dev1-vol--a', '/dev/nvme0n1p1'])
      assert.equal(devicePath(d), d);
  });
});

describe('LVM builders reject hostile or malformed values', () => {
  for (const bad of BAD_LVM_NAMES) {
    test(`LVM name ${JSON.stringify(bad)}`, () => {
      assert.throws(() => lvmName(bad), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvcreate('vg0', bad, 1), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvcreate(bad, 'lv0', 1), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvextend(bad, 'lv0', 1), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvextend('vg0', bad, 1), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvremove(bad, 'lv0'), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvremove('vg0', bad), /invalid LVM name/);
      assert.throws(() => lvmCmd.vgcreate(bad, '/dev/sda'), /invalid LVM name/);
      assert.throws(() => lvmCmd.vgremove(bad), /invalid LVM name/);
      assert.throws(() => lvmCmd.vgchange(bad, true), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvcreateThinSnapshot('san', bad, 'lun-x'), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvcreateThinSnapshot('san', 'lun-x', bad), /invalid LVM name/);
      assert.throws(() => lvmCmd.lvrename('vg0', 'lv0', bad), /invalid LVM name/);
      assert.throws(() => lvmCmd.vgimportclone(bad, '/dev/sdc'), /invalid LVM name/);
      if (bad !== '') assert.throws(() => lvmCmd.lvs(bad), /invalid LVM name/);
    });
  }

  // lvmCmd.lvs('') silently drops the VG filter (`vg ? [lvmName(vg)] : []`) and lists every LV on the host.
  test('lvs("") is rejected rather than listing every volume group', () => {
    assert.throws(() => lvmCmd.lvs(''), /invalid LVM name/);
  });

  for (const bad of BAD_DEVICES) {
    test(`device path ${JSON.stringify(bad)}`, () => {
      assert.throws(() => devicePath(bad), /invalid device path/);
      assert.throws(() => lvmCmd.pvcreate(bad), /invalid device path/);
      assert.throws(() => lvmCmd.pvresize(bad), /invalid device path/);
      assert.throws(() => lvmCmd.pvremove(bad), /invalid device path/);
      assert.throws(() => lvmCmd.vgcreate('vg0', bad), /invalid device path/);
    });
  }

  for (const bad of BAD_SIZES) {
    test(`size ${bad}`, () => {
      assert.throws(() => lvmCmd.lvcreate('vg0', 'lv0', bad), /invalid size/);
      assert.throws(() => lvmCmd.lvextend('vg0', 'lv0', bad), /invalid size/);
    });
  }
});

describe('iSCSI command builders: exact argv', () => {
  const node = ['iscsiadm', '-m', 'node', '-T', T, '-p', P];
  test('discovery, login, logout, delete, rescan, sessions', () => {
    assert.deepEqual(iscsiCmd.discover(P), ['iscsiadm', '-m', 'discovery', '-t', 'st', '-p', '10.99.0.10:3260']);
    assert.deepEqual(iscsiCmd.login(T, P), [...node, '--login']);
    assert.deepEqual(iscsiCmd.logout(T, P), [...node, '--logout']);
    assert.deepEqual(iscsiCmd.nodeDelete(T, P), [...node, '-o', 'delete']);
    assert.deepEqual(iscsiCmd.rescan(T, P), [...node, '-R']);
    assert.deepEqual(iscsiCmd.sessions(), ['iscsiadm', '-m', 'session', '-P', '3']);
  });

  test('node updates keep the value as one argument', () => {
    assert.deepEqual(iscsiCmd.nodeUpdate(T, P, 'node.session.auth.authmethod', 'CHAP'), [
      'iscsiadm',
      '-m',
      'node',
      '-T',
      T,
      '-p',
      P,
      '-o',
      'update',
      '-n',
      'node.session.auth.authmethod',
      '-v',
      'CHAP',
    ]);
    const hostile = `p"w'; rm -rf / $(id)`;
    assert.deepEqual(iscsiCmd.nodeUpdate(T, P, 'node.session.auth.password', hostile), [
      ...node,
      '-o',
      'update',
      '-n',
      'node.session.auth.password',
      '-v',
      hostile,
    ]);
    assert.deepEqual(iscsiCmd.nodeUpdate(T, P, 'node.startup', 'automatic').slice(-4), [
      '-n',
      'node.startup',
      '-v',
      'automatic',
    ]);
  });

  test('valid names and portals', () => {
    for (const v of [
      T,
      'iqn.2024-01.lab.dbaas:host1',
      'iqn.1993-08.org.debian:01:3a5f7c9e1b2d',
      'iqn.2003-01.org.linux-iscsi.storage1.x8664:sn.abcdef',
    ])
      assert.equal(iqn(v), v);
    for (const v of [P, '127.0.0.1:1', '[fd00::10]:3260']) assert.equal(portal(v), v);
  });

  test('exit-code constants', () => {
    assert.equal(ISCSI_NO_OBJECTS, 21);
    assert.equal(ISCSI_SESSION_EXISTS, 15);
    assert.equal(ISCSI_AUTH_FAILURE, 24);
  });
});

describe('iSCSI builders reject hostile or malformed values', () => {
  for (const bad of BAD_IQNS) {
    test(`IQN ${JSON.stringify(bad.length > 60 ? bad.slice(0, 40) + '…' : bad)}`, () => {
      assert.throws(() => iqn(bad), /invalid iSCSI name/);
      assert.throws(() => iscsiCmd.login(bad, P), /invalid iSCSI name/);
      assert.throws(() => iscsiCmd.logout(bad, P), /invalid iSCSI name/);
      assert.throws(() => iscsiCmd.nodeDelete(bad, P), /invalid iSCSI name/);
      assert.throws(() => iscsiCmd.rescan(bad, P), /invalid iSCSI name/);
      assert.throws(() => iscsiCmd.nodeUpdate(bad, P, 'node.startup', 'automatic'), /invalid iSCSI name/);
    });
  }

  for (const bad of BAD_PORTALS) {
    test(`portal ${JSON.stringify(bad)}`, () => {
      assert.throws(() => portal(bad), /invalid iSCSI portal/);
      assert.throws(() => iscsiCmd.discover(bad), /invalid iSCSI portal/);
      assert.throws(() => iscsiCmd.login(T, bad), /invalid iSCSI portal/);
      assert.throws(() => iscsiCmd.logout(T, bad), /invalid iSCSI portal/);
      assert.throws(() => iscsiCmd.nodeUpdate(T, bad, 'node.startup', 'automatic'), /invalid iSCSI portal/);
    });
  }
});
