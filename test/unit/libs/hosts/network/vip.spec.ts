import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '@app/domain/ports/infrastructure';
import {
  HostVip,
  ifaceName,
  isAddrExists,
  isAddrMissing,
  parseIpv4Addrs,
  parseIpv4Cidrs,
  vipAddress,
  vipCmd,
  vipPrefixLen,
} from '@app/hosts/network/vip';
import { fail, FakeExecutor, ok } from '../../../../support/fake-executor';

// Recorded on the lab's host1 (Debian 12, iproute2): test/unit/support/fixtures/drbd/ip-*.txt, stdout then stderr, then
// `exit=N`. The add/del recordings used 192.0.2.77 (TEST-NET-1) on lo, removed afterwards.
function rec(name: string): CommandResult {
  const raw = readFileSync(join(__dirname, '../../../support/fixtures', 'drbd', `${name}.txt`), 'utf8');
  const m = /(?:^|\n)exit=(\d+)\n?$/.exec(raw);
  if (!m) throw new Error(`fixture ${name} has no exit line`);
  const text = raw.slice(0, m.index + (m[0].startsWith('\n') ? 1 : 0));
  const exitCode = Number(m[1]);
  return exitCode === 0 ? { exitCode, stdout: text, stderr: '' } : { exitCode, stdout: '', stderr: text };
}

const ipAddr = (verb: string) => (argv: readonly string[]) => argv[0] === 'ip' && argv[2] === verb;
const isArping = (argv: readonly string[]) => argv[0] === 'arping';

const VIP = '10.99.0.100';
const IF = 'eth1';
const SHOW = ['ip', '-o', '-4', 'addr', 'show', 'dev', IF];
const ADD = ['ip', 'addr', 'add', `${VIP}/24`, 'dev', IF];
const DEL = ['ip', 'addr', 'del', `${VIP}/24`, 'dev', IF];
const ARPING = ['arping', '-q', '-U', '-c', '2', '-w', '3', '-I', IF, VIP];
/** The recorded eth1 listing with the VIP added as a second address of the interface. */
const showWith = (...cidrs: string[]) =>
  ok(
    rec('ip-show-eth1').stdout +
      cidrs
        .map(
          (c) => `3: eth1    inet ${c} scope global secondary eth1\\       valid_lft forever preferred_lft forever\n`,
        )
        .join(''),
  );

const HOSTILE = ['; rm -rf /', '$(id)', '`id`', 'a b', "a'b", 'a"b', '..', '.', 'a\nb', '', '-rf', 'a|b', 'a/b'];

describe('VIP validators', () => {
  test('addresses', () => {
    assert.equal(vipAddress('10.99.0.100'), '10.99.0.100');
    assert.equal(vipAddress('0.0.0.0'), '0.0.0.0');
    assert.equal(vipAddress('255.255.255.255'), '255.255.255.255');
    for (const bad of [
      ...HOSTILE,
      '256.0.0.1',
      '10.99.0',
      '10.99.0.1.2',
      '10.099.0.1',
      '10.99.0.1/24',
      ' 10.99.0.1',
      '10.99.0.1;id',
      'fe80::1',
    ]) {
      assert.throws(() => vipAddress(bad), /unsafe IPv4 address/, JSON.stringify(bad));
    }
  });

  test('prefix lengths 8..32', () => {
    assert.equal(vipPrefixLen(8), 8);
    assert.equal(vipPrefixLen(32), 32);
    for (const bad of [7, 33, 0, -1, 24.5, NaN]) assert.throws(() => vipPrefixLen(bad), /unsafe prefix length/);
  });

  test('interface names', () => {
    for (const good of ['eth1', 'ens3', 'bond0.100', 'br-lan', 'veth_a', 'a'.repeat(15)]) {
      assert.equal(ifaceName(good), good);
    }
    for (const bad of [...HOSTILE, 'a'.repeat(16), '-eth1', 'eth 1', 'eth1;id', 'eth:1']) {
      assert.throws(() => ifaceName(bad), /unsafe interface name/, JSON.stringify(bad));
    }
  });
});

describe('vipCmd', () => {
  test('exact argv', () => {
    assert.deepEqual(vipCmd.show(IF), SHOW);
    assert.deepEqual(vipCmd.add(VIP, 24, IF), ADD);
    assert.deepEqual(vipCmd.del(VIP, 24, IF), DEL);
    assert.deepEqual(vipCmd.add(VIP, 32, 'bond0.100'), ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'bond0.100']);
    assert.deepEqual(vipCmd.arping(VIP, IF), ARPING);
  });

  test('hostile inputs are refused by every builder', () => {
    for (const bad of HOSTILE) {
      assert.throws(() => vipCmd.show(bad), /unsafe/);
      assert.throws(() => vipCmd.add(bad, 24, IF), /unsafe/);
      assert.throws(() => vipCmd.add(VIP, 24, bad), /unsafe/);
      assert.throws(() => vipCmd.del(bad, 24, IF), /unsafe/);
      assert.throws(() => vipCmd.del(VIP, 24, bad), /unsafe/);
      assert.throws(() => vipCmd.arping(bad, IF), /unsafe/);
      assert.throws(() => vipCmd.arping(VIP, bad), /unsafe/);
    }
    assert.throws(() => vipCmd.add(VIP, 40, IF), /unsafe prefix length/);
  });
});

describe('ip output parsers (recorded)', () => {
  test('one address on eth1', () => {
    assert.deepEqual(parseIpv4Addrs(rec('ip-show-eth1').stdout), ['10.99.0.11']);
    assert.deepEqual(parseIpv4Cidrs(rec('ip-show-eth1').stdout), [{ address: '10.99.0.11', prefixLen: 24 }]);
  });

  test('the same address under two prefixes is two entries', () => {
    const out = rec('ip-show-lo-two-prefixes').stdout;
    assert.deepEqual(parseIpv4Addrs(out), ['127.0.0.1', '192.0.2.77', '192.0.2.77']);
    assert.deepEqual(parseIpv4Cidrs(out), [
      { address: '127.0.0.1', prefixLen: 8 },
      { address: '192.0.2.77', prefixLen: 32 },
      { address: '192.0.2.77', prefixLen: 24 },
    ]);
  });

  test('brd, secondary and labels; nothing for empty output', () => {
    const out =
      '5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever\n' +
      '3: eth1    inet 10.99.0.100/32 scope global secondary eth1:vip\\       valid_lft forever preferred_lft forever\n';
    assert.deepEqual(parseIpv4Addrs(out), ['172.17.0.1', '10.99.0.100']);
    assert.deepEqual(parseIpv4Addrs(''), []);
    // 10.99.0.1 must not match 10.99.0.100
    assert.ok(!parseIpv4Addrs(out).includes('10.99.0.1'));
  });

  test('recorded ip errors', () => {
    assert.equal(rec('ip-add-exists').exitCode, 2);
    assert.equal(isAddrExists(rec('ip-add-exists').stderr), true);
    assert.equal(isAddrExists('Error: ipv4: Address already assigned.\n'), true);
    assert.equal(rec('ip-del-missing').exitCode, 2);
    assert.equal(isAddrMissing(rec('ip-del-missing').stderr), true);
    assert.equal(isAddrExists(rec('ip-del-missing').stderr), false);
    assert.equal(isAddrMissing(rec('ip-add-exists').stderr), false);
  });
});

describe('HostVip.has', () => {
  test('true / false from the listing', async () => {
    const ex = new FakeExecutor().on(ipAddr('-4'), showWith(`${VIP}/24`), rec('ip-show-eth1'));
    const v = new HostVip(ex);
    assert.equal(await v.has(VIP, IF), true);
    assert.equal(await v.has(VIP, IF), false);
    assert.deepEqual(ex.argvs, [SHOW, SHOW]);
  });

  test('a missing interface (recorded exit 1) is an error', async () => {
    const ex = new FakeExecutor().on(ipAddr('-4'), rec('ip-show-nodev'));
    await assert.rejects(
      new HostVip(ex).has(VIP, 'helpertest0'),
      /ip exited with 1: Device "helpertest0" does not exist/,
    );
  });

  test('hostile inputs run nothing', async () => {
    const ex = new FakeExecutor();
    await assert.rejects(new HostVip(ex).has('$(id)', IF), /unsafe/);
    await assert.rejects(new HostVip(ex).has(VIP, 'eth1;reboot'), /unsafe/);
    assert.equal(ex.calls.length, 0);
  });
});

describe('HostVip.add', () => {
  test('fresh: ip addr add, then gratuitous ARP', async () => {
    const ex = new FakeExecutor().on(ipAddr('add'), ok()).on(isArping, fail(1, ''));
    await new HostVip(ex).add(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [ADD, ARPING]);
    for (const c of ex.calls) assert.ok(c.opts.timeoutMs && c.opts.timeoutMs <= 15_000);
  });

  test('twice: the second add answers File exists (recorded) and is accepted; ARP is sent again', async () => {
    const ex = new FakeExecutor().on(ipAddr('add'), ok(), rec('ip-add-exists')).on(isArping, fail(1, ''));
    const v = new HostVip(ex);
    await v.add(VIP, 24, IF);
    await v.add(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [ADD, ARPING, ADD, ARPING]);
  });

  test('newer kernels\' "Address already assigned" is accepted too', async () => {
    const ex = new FakeExecutor()
      .on(ipAddr('add'), fail(2, 'Error: ipv4: Address already assigned.\n'))
      .on(isArping, ok());
    await new HostVip(ex).add(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [ADD, ARPING]);
  });

  test('arping failing or hanging does not matter', async () => {
    const missing = new FakeExecutor().on(ipAddr('add'), ok()).on(isArping, fail(127, 'arping: not found'));
    await new HostVip(missing).add(VIP, 24, IF);
    const hang = new FakeExecutor().on(ipAddr('add'), ok()).on(isArping, () => {
      throw new Error('arping timed out after 15000 ms');
    });
    await new HostVip(hang).add(VIP, 24, IF);
    assert.deepEqual(hang.argvs, [ADD, ARPING]);
  });

  test('a missing interface (recorded exit 1) is an error, and no ARP', async () => {
    const ex = new FakeExecutor().on(ipAddr('add'), rec('ip-add-nodev'));
    await assert.rejects(new HostVip(ex).add(VIP, 24, 'helpertest0'), /ip exited with 1: Cannot find device/);
    assert.equal(ex.calls.length, 1);
  });

  test('another exit-2 error is an error, and no ARP', async () => {
    const ex = new FakeExecutor().on(ipAddr('add'), fail(2, 'RTNETLINK answers: Operation not permitted\n'));
    await assert.rejects(new HostVip(ex).add(VIP, 24, IF), /Operation not permitted/);
    assert.equal(ex.calls.length, 1);
  });

  test('hostile inputs run nothing', async () => {
    const ex = new FakeExecutor();
    for (const [ip, len, iface] of [
      ['10.99.0.100; rm -rf /', 24, IF],
      ['$(id)', 24, IF],
      [VIP, 24, 'eth1 up'],
      [VIP, 24, '..'],
      [VIP, 33, IF],
      [VIP, 24, "eth'1"],
    ] as const) {
      await assert.rejects(new HostVip(ex).add(ip, len, iface), /unsafe/);
    }
    assert.equal(ex.calls.length, 0);
  });
});

describe('HostVip.remove', () => {
  test('present: ip addr del, then a check that no other prefix remains', async () => {
    const ex = new FakeExecutor().on(ipAddr('del'), ok()).on(ipAddr('-4'), rec('ip-show-eth1'));
    await new HostVip(ex).remove(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [DEL, SHOW]);
  });

  test('absent: Cannot assign requested address (recorded) is accepted', async () => {
    const ex = new FakeExecutor().on(ipAddr('del'), rec('ip-del-missing')).on(ipAddr('-4'), rec('ip-show-eth1'));
    await new HostVip(ex).remove(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [DEL, SHOW]);
  });

  test('the same address under another prefix is removed as well', async () => {
    const ex = new FakeExecutor()
      .on(ipAddr('del'), rec('ip-del-missing'), ok())
      .on(ipAddr('-4'), showWith(`${VIP}/32`));
    await new HostVip(ex).remove(VIP, 24, IF);
    assert.deepEqual(ex.argvs, [DEL, SHOW, ['ip', 'addr', 'del', `${VIP}/32`, 'dev', IF]]);
  });

  test('another failure is an error', async () => {
    const ex = new FakeExecutor().on(ipAddr('del'), fail(2, 'RTNETLINK answers: Operation not permitted\n'));
    await assert.rejects(new HostVip(ex).remove(VIP, 24, IF), /Operation not permitted/);
    assert.equal(ex.calls.length, 1);
  });

  test('hostile inputs run nothing', async () => {
    const ex = new FakeExecutor();
    await assert.rejects(new HostVip(ex).remove('`reboot`', 24, IF), /unsafe/);
    await assert.rejects(new HostVip(ex).remove(VIP, 24, 'eth1;reboot'), /unsafe/);
    assert.equal(ex.calls.length, 0);
  });
});
