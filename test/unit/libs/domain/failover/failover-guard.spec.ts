import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostEntity } from '@app/persistence/entities';
import { HostMonitorService, MonitorSettings } from '@app/domain/failover/host-monitor.service';
import {
  brake,
  fenceBudget,
  grace,
  GuardSettings,
  probeDue,
  WatchedHost,
  witnessVerdict,
} from '@app/domain/failover/failover-guard';
import { probeFrom, witnessArgv } from '@app/hosts/witness/witness-probe';

const guard: GuardSettings = { graceMs: 60_000, brakeShare: 0.55, fencesPerMinute: 3 };
const long = new Date(Date.now() - 3600_000);
const watched = (id: string, failures: number, domain: string | null = null, extra: Partial<WatchedHost> = {}) =>
  ({ id, name: id, domain, activeSince: long, lastSeenAt: new Date(), failures, ...extra }) as WatchedHost;

describe('failover guard', () => {
  test('grace: never fenced before seen healthy, nor within the grace period after (re)activation', () => {
    const now = new Date();
    assert.equal(grace(watched('a', 3, null, { lastSeenAt: null }), guard, now).inGrace, true);
    // Seen, but before it was activated again: not seen healthy since.
    assert.equal(grace(watched('a', 3, null, { lastSeenAt: new Date(long.getTime() - 1) }), guard, now).inGrace, true);
    const fresh = watched('a', 3, null, { activeSince: new Date(now.getTime() - 10_000), lastSeenAt: now });
    const g = grace(fresh, guard, now);
    assert.ok(g.inGrace && /grace period \(50 s left\)/.test(g.reason));
    assert.equal(grace(watched('a', 3), guard, now).inGrace, false);
  });

  test('brake: off for one failing host, on above the share or in every failure domain', () => {
    assert.equal(brake([watched('a', 3), watched('b', 0), watched('c', 0)], guard), null);
    // One rack wholly down, the other racks healthy: a normal failover.
    assert.equal(
      brake(
        [
          watched('a', 3, 'r1'),
          watched('b', 3, 'r1'),
          watched('c', 0, 'r2'),
          watched('d', 0, 'r2'),
          watched('e', 0, 'r3'),
        ],
        guard,
      ),
      null,
    );
    const b = brake([watched('a', 1), watched('b', 2), watched('c', 3), watched('d', 1), watched('e', 0)], guard);
    assert.match(b!.reason, /^4 of 5 hosts unreachable at once/);
    assert.deepEqual(b!.hostIds, ['a', 'b', 'c', 'd']);
    const domains = brake(
      [watched('a', 1, 'r1'), watched('b', 0, 'r1'), watched('c', 1, 'r2'), watched('d', 0, 'r2')],
      guard,
    );
    assert.match(domains!.reason, /every failure domain/);
  });

  test('witnesses: a strict majority of those that answered; none answering decides nothing', () => {
    assert.equal(witnessVerdict({ a: 'dead', b: 'dead', c: 'alive' }).kind, 'dead');
    assert.equal(witnessVerdict({ a: 'dead', b: 'alive' }).kind, 'alive');
    assert.equal(witnessVerdict({ a: 'dead', b: null, c: null }).kind, 'dead');
    assert.equal(witnessVerdict({ a: null }).kind, 'no-witness');
    assert.match(witnessVerdict({}).summary, /no other host/);
  });

  test('rate limit: the last minute only', () => {
    const now = Date.now();
    assert.equal(fenceBudget([now - 1000, now - 2000, now - 70_000], guard, now), 1);
    assert.equal(fenceBudget([now - 1000, now - 2000, now - 3000], guard, now), 0);
  });

  test('the witness argv: a constant script, the values as its arguments, bad ones refused', () => {
    assert.deepEqual(
      witnessArgv(
        [
          { address: '10.0.0.5', port: 22 },
          { address: '10.1.0.5', port: 2222 },
        ],
        2000,
      ),
      [
        'timeout',
        '2.0',
        'bash',
        '-c',
        'while [ $# -ge 2 ]; do (exec 3<>"/dev/tcp/$1/$2" && echo "open $1") & shift 2; done; wait',
        'dbaas-witness',
        '10.0.0.5',
        '22',
        '10.1.0.5',
        '2222',
      ],
    );
    assert.throws(() => witnessArgv([{ address: '10.0.0.5; reboot', port: 22 }], 2000), /not an address/);
    assert.throws(() => witnessArgv([{ address: '-oProxyCommand=x', port: 22 }], 2000), /not an address/);
    assert.throws(() => witnessArgv([{ address: '10.0.0.5', port: 70000 }], 2000), /not a port/);
    assert.throws(() => witnessArgv([], 2000), /no address/);
  });

  test('the witness script, run for real: one live address is enough; a refusal answers at once', async () => {
    const { execFile } = await import('node:child_process');
    const { createServer } = await import('node:net');
    const server = createServer((c) => {
      c.on('error', () => undefined); // the witness hangs up after 4 bytes
      c.end('SSH-2.0-test\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const live = (server.address() as { port: number }).port;
    // Only 127.0.0.1: a listener of this test, and port 1 where nothing listens (refused).
    const run = (targets: { address: string; port: number }[]) =>
      new Promise<{ stdout: string; stderr: string }>((resolve) => {
        const [cmd, ...args] = witnessArgv(targets, 1000);
        execFile(cmd, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve({ stdout, stderr }));
      });
    try {
      const both = await run([
        { address: '127.0.0.1', port: 1 },
        { address: '127.0.0.1', port: live },
      ]);
      assert.match(both.stdout, /^open 127\.0\.0\.1$/m);
      assert.match(both.stderr, /Connection refused/);
      // A live kernel whose sshd never gets to its banner (starved): the connection is made, that is enough.
      const mute = createServer((c) => c.on('error', () => undefined));
      await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
      try {
        const silent = await run([{ address: '127.0.0.1', port: (mute.address() as { port: number }).port }]);
        assert.match(silent.stdout, /^open 127\.0\.0\.1$/m);
      } finally {
        mute.close();
      }
      const t0 = Date.now();
      const refused = await run([{ address: '127.0.0.1', port: 1 }]);
      assert.doesNotMatch(refused.stdout, /open/);
      assert.match(refused.stderr, /Connection refused/);
      assert.ok(Date.now() - t0 < 900, 'not held until the timeout');
    } finally {
      server.close();
    }
  });
});

test('what a witness saw: a connection made or refused is a live kernel; silence or no route is dead', async () => {
  const seen = (exitCode: number, stdout: string, stderr: string) =>
    probeFrom({ run: async () => ({ exitCode, stdout, stderr }) } as never, [{ address: '10.0.0.5', port: 22 }], 1000);
  assert.equal(await seen(0, 'open 10.0.0.5\n', ''), true);
  // Connected, its sshd too starved to send a banner before the timeout: still a live kernel.
  assert.equal(await seen(124, 'open 10.0.0.5\n', ''), true);
  assert.equal(
    await seen(1, '', 'bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.0.5/22: Connection refused'),
    true,
  );
  assert.equal(await seen(124, '', ''), false);
  assert.equal(await seen(1, '', 'bash: connect: No route to host'), false);
  await assert.rejects(
    probeFrom(
      { run: async () => Promise.reject(new Error('session lost')) } as never,
      [{ address: 'a', port: 22 }],
      100,
    ),
    /session lost/,
  );
});

describe('probe pace', () => {
  const pace = { probeIntervalMs: 1000, suspectIntervalMs: 250, failuresBeforeDown: 3 };
  test('a healthy host: one probe a second; one still waiting for its banner does not hold the next back', () => {
    assert.equal(probeDue({ failures: 0, lastProbeAt: 0, inFlight: 0 }, pace, 10_000), true);
    assert.equal(probeDue({ failures: 0, lastProbeAt: 10_000, inFlight: 0 }, pace, 10_250), false);
    // Within half a tick of its second: due (ticks jitter).
    assert.equal(probeDue({ failures: 0, lastProbeAt: 10_000, inFlight: 0 }, pace, 10_880), true);
    // Connected just before the host died, its banner never comes: the next probe still goes, and fails at once.
    assert.equal(probeDue({ failures: 0, lastProbeAt: 10_000, inFlight: 1 }, pace, 11_000), true);
    assert.equal(probeDue({ failures: 0, lastProbeAt: 10_000, inFlight: 3 }, pace, 12_000), false);
  });
  test('a suspect: probed every 250 ms, its probes overlapping up to the failures that condemn it', () => {
    assert.equal(probeDue({ failures: 1, lastProbeAt: 10_000, inFlight: 1 }, pace, 10_250), true);
    assert.equal(probeDue({ failures: 1, lastProbeAt: 10_000, inFlight: 2 }, pace, 10_250), true);
    assert.equal(probeDue({ failures: 2, lastProbeAt: 10_000, inFlight: 3 }, pace, 10_250), false);
    assert.equal(probeDue({ failures: 1, lastProbeAt: 10_000, inFlight: 0 }, pace, 10_100), false);
  });
});

describe('host monitor', () => {
  type Seen = Record<string, boolean>;
  function fleet(names: string[], opts: { down: Seen; witnessSees?: Seen; lastSeenAt?: Date | null }) {
    const hosts = names.map(
      (n) =>
        ({
          id: n,
          name: n,
          status: 'active',
          connection: 'ssh',
          labels: {},
          address: n,
          sshPort: 22,
          replicationAddress: null,
          activeSince: long,
          createdAt: long,
          lastSeenAt: opts.lastSeenAt === undefined ? new Date() : opts.lastSeenAt,
        }) as unknown as HostEntity,
    );
    const declared: { host: string; detail: string }[] = [];
    const events: { type: string; message: string }[] = [];
    const svc = new HostMonitorService(
      { list: async () => hosts, update: async () => undefined } as never,
      { list: async () => [] } as never,
      {
        probe: async (h: HostEntity) => {
          if (opts.down[h.name]) throw new Error('no TCP connection within 50 ms');
        },
        witnessProbe: async (_w: unknown, targets: { address: string }[]) =>
          opts.witnessSees?.[targets[0].address] ?? !opts.down[targets[0].address],
        reset: async () => undefined,
        runtime: async () => ({ ping: async () => undefined }),
      } as never,
      { record: async (e: { type: string; message: string }) => void events.push(e) } as never,
      { get: async () => null } as never,
      {
        // As the real one: the host leaves 'active' (a compare-and-set in the repository) before anything else.
        declareDown: async (x: HostEntity, _at: Date, detail: string) => {
          x.status = 'down';
          declared.push({ host: x.name, detail });
        },
      } as never,
      { read: async () => undefined } as never,
    );
    return { svc, declared, events };
  }
  const settings: MonitorSettings = {
    probeTimeoutMs: 50,
    bannerTimeoutMs: 50,
    failuresBeforeDown: 3,
    // Every tick probes (the pace has its own tests below).
    probeIntervalMs: 0,
    suspectIntervalMs: 0,
    deepEvery: 5,
    witnessTimeoutMs: 100,
    ...guard,
  };
  // Witness answers come back in the background: a tick's wait lets them land.
  const ticks = async (svc: HostMonitorService, n: number) => {
    for (let i = 0; i < n; i++) {
      await svc.tick(settings);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  test('declared down after N failed probes when the witnesses cannot reach it either', async () => {
    const { svc, declared } = fleet(['a', 'b', 'c'], { down: { a: true } });
    await ticks(svc, 2);
    assert.equal(declared.length, 0);
    await ticks(svc, 1);
    assert.equal(declared.length, 1);
    assert.match(
      declared[0].detail,
      /^3 failed probes since \S+: no TCP connection within 50 ms; witnesses: b: dead, c: dead$/,
    );
  });

  test('the witnesses still reach it: not declared down, an event says it is cut off from the control plane only', async () => {
    const { svc, declared, events } = fleet(['a', 'b', 'c'], { down: { a: true }, witnessSees: { a: true } });
    await ticks(svc, 6);
    assert.equal(declared.length, 0);
    assert.equal(events.filter((e) => e.type === 'host.partitioned').length, 1, 'one event, not one per tick');
  });

  test('a host never seen healthy is never declared down', async () => {
    const { svc, declared } = fleet(['a', 'b', 'c'], { down: { a: true }, lastSeenAt: null });
    await ticks(svc, 6);
    assert.equal(declared.length, 0);
  });

  test('no witness at all (a single remote host): not declared down', async () => {
    const { svc, declared, events } = fleet(['a'], { down: { a: true } });
    await ticks(svc, 6);
    assert.equal(declared.length, 0);
    assert.match(events.find((e) => e.type === 'host.unconfirmed')!.message, /no other host or storage server/);
  });

  test('the brake: most of the fleet unreachable at once → nothing declared, one fleet alarm, cleared after', async () => {
    const down: Seen = { a: true, b: true, c: true };
    const { svc, declared, events } = fleet(['a', 'b', 'c', 'd', 'e'], { down });
    await ticks(svc, 6);
    assert.equal(declared.length, 0);
    const alarms = events.filter((e) => e.type === 'fleet.alarm');
    assert.equal(alarms.length, 1);
    assert.match(alarms[0].message, /3 of 5 hosts unreachable at once.*a, b, c/);
    assert.match(svc.currentAlarm()!, /3 of 5/);
    down.a = down.b = down.c = false;
    await ticks(svc, 1);
    assert.equal(events.filter((e) => e.type === 'fleet.alarm-cleared').length, 1);
    assert.equal(svc.currentAlarm(), null);
  });

  test('a host gone silent (probes hang until their timeout): condemned about one timeout after its first failure', async () => {
    // The worker's loop, scaled down 5x: ticks every 50 ms, probes time out after 100 ms, healthy hosts probed every
    // 200 ms. Three probes end to end would take 300 ms after the first failure; overlapping ones take about 100.
    const timeoutMs = 100;
    const { svc, declared } = fleet(['a', 'b', 'c'], { down: {} });
    const silent = new Set<string>();
    (svc as any).connector.probe = async (h: HostEntity) => {
      if (!silent.has(h.name)) return;
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw new Error(`no TCP connection within ${timeoutMs} ms`);
    };
    (svc as any).connector.witnessProbe = async (_w: unknown, t: { address: string }[]) => !silent.has(t[0].address);
    const paced: MonitorSettings = { ...settings, probeIntervalMs: 200, suspectIntervalMs: 50, probeTimeoutMs: 100 };
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        void svc.tick(paced);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    silent.add('a');
    const t0 = Date.now();
    while (!declared.length && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await loop;
    assert.equal(declared.length, 1, 'declared down once, not once per overlapping probe');
    const took = Date.now() - t0;
    // At most one probe interval before the first probe sees it, one timeout, two suspect ticks, one timeout
    // overlapping: about 200 + 100 + 100 + slack; end to end it would be at least 200 + 300.
    assert.ok(took < 480, `declared ${took} ms after it went silent`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(declared.length, 1);
  });
});
