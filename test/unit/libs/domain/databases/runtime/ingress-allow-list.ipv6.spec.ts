import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allowListRestore,
  chainName,
  IngressAllowList,
  jumpSpec,
  parseFilterState,
  sweepRestore,
} from '../../../../../../libs/domain/src/databases/runtime/ingress-allow-list';
import { FakeExecutor, ok } from '../../../../../support/fake-executor';

const DB = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const OTHER = '0badc0de-0000-4000-8000-000000000001';
const A = chainName(DB, 'a');
const B = chainName(DB, 'b');
const V6 = 'fdba:1:2::1';
const target = { databaseId: DB, address: V6, port: 20001, cidrs: ['fdba:1:2::/64', '10.250.2.0/24'] };

// What ip6tables-save prints on a host whose Docker has no ip6tables (20.10's default): no Docker chain at all.
const BARE6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;
// The same table with this database's list applied.
const SAVED6_A = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:${A} - [0:0]
-A INPUT ! -i lo -p tcp -m conntrack --ctorigdst ${V6}/128 --ctorigdstport 20001 --ctdir ORIGINAL -j ${A}
-A ${A} -s fdba:1:2::/64 -j RETURN
-A ${A} -j DROP
COMMIT
`;
// A Docker with ip6tables and a DOCKER-USER chain there (DNATed ports cross FORWARD).
const DOCKER6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
COMMIT
`;

describe('allow-list rules over IPv6: in front of the userland proxy (INPUT) and of DNAT (DOCKER-USER)', () => {
  test('without an IPv6 DOCKER-USER (Docker 20.10): the jump goes in INPUT, not refused', () => {
    assert.equal(
      allowListRestore(parseFilterState(BARE6), target, 'ipv6'),
      [
        '*filter',
        `:${A} - [0:0]`,
        `-A ${A} -s fdba:1:2::/64 -j RETURN`,
        `-A ${A} -j DROP`,
        `-I INPUT 1 ! -i lo ${jumpSpec(V6, 20001, A)}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  test('with one: the same chain is jumped to from INPUT and from DOCKER-USER', () => {
    const input = allowListRestore(parseFilterState(DOCKER6), target, 'ipv6')!;
    assert.match(input, new RegExp(`-I INPUT 1 .*-j ${A}\n-I DOCKER-USER 1 .*-j ${A}\n`));
  });

  test('the INPUT jump never judges the host’s own connections (loopback): the platform is not locked out', () => {
    const input = allowListRestore(parseFilterState(BARE6), target, 'ipv6')!;
    assert.match(input, /^-I INPUT 1 ! -i lo -p tcp /m);
  });

  test('read back from ip6tables-save: in place, nothing written; an update swaps both the chain and the jump', () => {
    const state = parseFilterState(SAVED6_A);
    assert.deepEqual(state.inputJumps, [{ address: V6, port: 20001, chain: A }]);
    assert.deepEqual(state.jumps, []);
    assert.equal(allowListRestore(state, target, 'ipv6'), null);
    assert.equal(
      allowListRestore(state, { ...target, cidrs: ['fdba:1:3::/64'] }, 'ipv6'),
      [
        '*filter',
        `:${B} - [0:0]`,
        `-A ${B} -s fdba:1:3::/64 -j RETURN`,
        `-A ${B} -j DROP`,
        `-I INPUT 1 ! -i lo ${jumpSpec(V6, 20001, B)}`,
        `-D INPUT ! -i lo ${jumpSpec(V6, 20001, A)}`,
        `-F ${A}`,
        `-X ${A}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
    // Docker's ip6tables turned on since: the DOCKER-USER jump is missing, so it is not in place.
    const withDockerUser = SAVED6_A.replace(':INPUT ACCEPT', ':DOCKER-USER - [0:0]\n:INPUT ACCEPT');
    assert.ok(allowListRestore(parseFilterState(withDockerUser), target, 'ipv6'));
  });

  test('an empty list, a removal and a sweep take the INPUT jump away too', async () => {
    const state = parseFilterState(SAVED6_A);
    assert.equal(
      allowListRestore(state, { ...target, cidrs: [] }, 'ipv6'),
      ['*filter', `-D INPUT ! -i lo ${jumpSpec(V6, 20001, A)}`, `-F ${A}`, `-X ${A}`, 'COMMIT', ''].join('\n'),
    );
    assert.equal(sweepRestore(state, [DB]), null);
    assert.match(sweepRestore(state, [OTHER])!, new RegExp(`-D INPUT .*-j ${A}\n-F ${A}\n-X ${A}`));

    const exec = new FakeExecutor()
      .on((a) => a[0] === 'iptables-save', ok(BARE6))
      .on((a) => a[0] === 'ip6tables-save', ok(SAVED6_A))
      .on((a) => a[0] === 'ip6tables-restore', ok());
    await new IngressAllowList(exec).remove(DB);
    const restore = exec.calls.find((c) => c.argv[0] === 'ip6tables-restore')!;
    assert.match(restore.opts.input!, new RegExp(`-D INPUT .*-j ${A}`));
  });

  test('IPv4 is unchanged: DOCKER-USER only, and refused without it', () => {
    const v4 = { ...target, address: '10.250.1.1' };
    assert.match(allowListRestore(parseFilterState(DOCKER6), v4, 'ipv4')!, /-I DOCKER-USER 1 /);
    assert.doesNotMatch(allowListRestore(parseFilterState(DOCKER6), v4, 'ipv4')!, /INPUT/);
    assert.throws(() => allowListRestore(parseFilterState(BARE6), v4, 'ipv4'), /no DOCKER-USER chain/);
  });
});
