import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { devicePath, isLvmNotFound, lvmCmd, lvmName, parseLvs, parsePvs, parseVgs } from '@app/storage/host/lvm';
import { fixture } from '../../../support/san-fixtures';

const R = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];

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

describe('fixture loader', () => {
  test('splits off the exit=N line', () => {
    assert.deepEqual(fixture('blkid-empty'), { text: '', exit: 2 });
    assert.deepEqual(fixture('lvcreate-novg'), {
      text: '  Volume group "no-such-vg" not found\n  Cannot process volume group no-such-vg\n',
      exit: 5,
    });
    assert.deepEqual(fixture('blkid-ext4'), { text: 'ext4\n', exit: 0 });
  });
  test('recordings without an exit line keep all their text', () => {
    assert.deepEqual(fixture('discovery'), { text: '10.99.0.10:3260,1 iqn.2026-11.io.dbaas:dev-test1\n', exit: null });
  });
});

describe('LVM report parsers (recorded output)', () => {
  test('parseLvs', () => {
    const f = fixture('lvs-json');
    assert.equal(f.exit, 0);
    assert.deepEqual(parseLvs(f.text), [
      {
        name: 'vol-a',
        vg: 'dbaas-dev1',
        sizeBytes: 314_572_800,
        path: '/dev/dbaas-dev1/vol-a',
        active: true,
        pool: null,
      },
    ]);
    assert.equal(parseLvs(f.text)[0].sizeBytes, 300 * 2 ** 20);
  });

  test('parseLvs: a thin volume names its pool', () => {
    const text = fixture('lvs-json').text.replace('"lv_active":"active"', '"lv_active":"active", "pool_lv":"pool0"');
    assert.equal(parseLvs(text)[0].pool, 'pool0');
  });

  test('parseLvs: inactive volume', () => {
    const text = fixture('lvs-json').text.replace('"lv_active":"active"', '"lv_active":""');
    assert.equal(parseLvs(text)[0].active, false);
  });

  test('parseVgs', () => {
    assert.deepEqual(parseVgs(fixture('vgs-json').text), [
      { name: 'dbaas-dev1', sizeBytes: 1_069_547_520, freeBytes: 754_974_720, lvCount: 1, pvCount: 1 },
    ]);
  });

  test('parsePvs', () => {
    assert.deepEqual(parsePvs(fixture('pvs-json').text), [
      { name: '/dev/sda', vg: 'dbaas-dev1', sizeBytes: 1_069_547_520, freeBytes: 754_974_720 },
    ]);
  });

  test('empty reports give empty lists', () => {
    assert.deepEqual(parseLvs('{"report":[{"lv":[]}]}'), []);
    assert.deepEqual(parseVgs('  {\n "report": [ { "vg": [] } ]\n }\n'), []);
    assert.deepEqual(parsePvs('{"report":[{"pv":[]}]}'), []);
    assert.deepEqual(parseLvs('{"report":[]}'), []);
    assert.deepEqual(parseLvs('{"report":[{}]}'), []);
  });

  test('a report of another kind gives nothing', () => {
    assert.deepEqual(parseLvs(fixture('vgs-json').text), []);
    assert.deepEqual(parseVgs(fixture('pvs-json').text), []);
  });

  test('non-JSON output throws', () => {
    assert.throws(() => parseLvs(fixture('lvcreate-novg').text));
    assert.throws(() => parseVgs(''));
  });
});

describe('isLvmNotFound (recorded errors)', () => {
  for (const name of ['lvcreate-novg', 'lvremove-missing', 'vgremove']) {
    test(`true for ${name}`, () => {
      const f = fixture(name);
      assert.equal(f.exit, 5);
      assert.equal(isLvmNotFound(f.text), true);
    });
  }
  test('true for "Failed to find logical volume"', () => {
    assert.equal(isLvmNotFound('  Failed to find logical volume "dbaas-dev1/vol-x"\n'), true);
  });
  for (const name of ['lvcreate-exists', 'lvcreate-nospace']) {
    test(`false for ${name}`, () => {
      const f = fixture(name);
      assert.equal(f.exit, 5);
      assert.equal(isLvmNotFound(f.text), false);
    });
  }
  test('false for success output and in-use errors', () => {
    assert.equal(isLvmNotFound(fixture('lvcreate').text), false);
    assert.equal(isLvmNotFound(fixture('lvextend').text), false);
    assert.equal(isLvmNotFound('  Logical volume dbaas-dev1/vol-a contains a filesystem in use.\n'), false);
    assert.equal(isLvmNotFound(''), false);
  });
});
