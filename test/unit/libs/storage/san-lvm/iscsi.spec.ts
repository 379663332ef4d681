import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLvmNotFound, parseLvs, parsePvs, parseVgs } from '../../libs/storage/src/host/lvm';
import { parseInitiatorName, parseSessions } from '../../libs/storage/src/san-lvm/iscsi';
import { fixture } from './san-fixtures';

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

describe('iSCSI parsers (recorded output)', () => {
  test('parseSessions on session -P 3 with an attached disk', () => {
    assert.deepEqual(parseSessions(fixture('session-p3').text), [
      { target: 'iqn.2026-11.io.dbaas:dev-test1', portal: '10.99.0.10:3260', state: 'LOGGED_IN', disk: 'sda' },
    ]);
  });

  test('parseSessions: logged in but no disk yet', () => {
    const text = fixture('session-p3').text.replace(/^.*Attached scsi disk.*$/m, '');
    assert.deepEqual(parseSessions(text), [
      { target: 'iqn.2026-11.io.dbaas:dev-test1', portal: '10.99.0.10:3260', state: 'LOGGED_IN', disk: null },
    ]);
  });

  test('parseSessions: two targets keep their own disks', () => {
    const one = fixture('session-p3').text;
    const two = one
      .replace('dev-test1', 'dev-test2')
      .replace('Attached scsi disk sda', 'Attached scsi disk sdb')
      .replace(/^iSCSI Transport.*\nversion.*\n/, '');
    const sessions = parseSessions(one + two);
    assert.deepEqual(
      sessions.map((s) => [s.target, s.disk]),
      [
        ['iqn.2026-11.io.dbaas:dev-test1', 'sda'],
        ['iqn.2026-11.io.dbaas:dev-test2', 'sdb'],
      ],
    );
  });

  test('parseSessions: no sessions', () => {
    const f = fixture('session-none');
    assert.equal(f.exit, 21);
    assert.deepEqual(parseSessions(f.text), []);
    assert.deepEqual(parseSessions(''), []);
  });

  test('parseSessions ignores the short (-P 0) format', () => {
    assert.deepEqual(parseSessions(fixture('session').text), []);
  });

  test('parseInitiatorName: good file', () => {
    const file =
      '## DO NOT EDIT OR REMOVE THIS FILE!\n## If you remove this file, the iSCSI daemon will not start.\nInitiatorName=iqn.2024-01.lab.dbaas:host1\n';
    assert.equal(parseInitiatorName(file), 'iqn.2024-01.lab.dbaas:host1');
    assert.equal(
      parseInitiatorName('InitiatorName=iqn.1993-08.org.debian:01:3a5f7c9e1b2d'),
      'iqn.1993-08.org.debian:01:3a5f7c9e1b2d',
    );
  });

  test('parseInitiatorName: bad files throw', () => {
    for (const bad of [
      '',
      '## only comments\n',
      '#InitiatorName=iqn.2024-01.lab.dbaas:host1\n',
      'InitiatorName=\n',
      'InitiatorName=not-an-iqn\n',
      'InitiatorName=iqn.2024-01.lab.dbaas:host1;reboot\n',
      'InitiatorName=iqn.2024-01.lab.dbaas:host1 extra\n',
      "InitiatorName=iqn.2024-01.lab.dbaas:h'1\n",
      'InitiatorName=$(id)\n',
    ]) {
      assert.throws(() => parseInitiatorName(bad), /InitiatorName|invalid iSCSI name/, JSON.stringify(bad));
    }
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
