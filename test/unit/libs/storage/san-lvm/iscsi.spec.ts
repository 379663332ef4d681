import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ISCSI_AUTH_FAILURE,
  ISCSI_NO_OBJECTS,
  ISCSI_SESSION_EXISTS,
  iqn,
  iscsiCmd,
  parseInitiatorName,
  parseSessions,
  portal,
} from '@app/storage/san-lvm/iscsi';
import { fixture } from '../../../support/san-fixtures';

const T = 'iqn.2026-11.io.dbaas:dev-test1';
const P = '10.99.0.10:3260';

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
