import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FailoverEntity, HostEntity } from '../../libs/persistence/src/entities';
import { chooseHost, sharesFailureDomain } from '../../libs/domain/src/placement/least-loaded';
import { toFailoverView } from '../../libs/domain/src/failover/failover.view';
import { mirrorStateOf, parseProcDrbd } from '../../libs/storage/src/drbd/drbd-state';
import { intToIp, vipRange, type CommonEnv } from '../../libs/config/src/env';
import { HostFencer } from '../../libs/hosts/src/fencing/host-fencer';
import { DrbdStorageDriver } from '../../libs/storage/src/drbd/drbd.driver';
import { SecretBox } from '../../libs/security/src/secret-box';
import { RegisterHostCommand } from '../../libs/domain/src/hosts/use-cases/register-host/register-host.command';
import { fencingView, sealFencing } from '../../libs/domain/src/hosts/fencing';

const host = (id: string, labels: Record<string, string> = {}, extra: Partial<HostEntity> = {}) =>
  ({
    id,
    name: id,
    status: 'active',
    storageDriver: 'directory',
    connection: 'ssh',
    labels,
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100 },
    replicationAddress: '10.0.1.1',
    ...extra,
  }) as HostEntity;

describe('failure domains', () => {
  test('the same host, rack or hypervisor is one failure domain', () => {
    assert.equal(sharesFailureDomain(host('a'), host('a')), true);
    assert.equal(sharesFailureDomain(host('a', { rack: 'r1' }), host('b', { rack: 'r1' })), true);
    assert.equal(sharesFailureDomain(host('a', { hypervisor: 'hv1' }), host('b', { hypervisor: 'hv1' })), true);
    assert.equal(sharesFailureDomain(host('a', { rack: 'r1' }), host('b', { rack: 'r2' })), false);
    // Different racks but the same hypervisor: still one failure.
    assert.equal(
      sharesFailureDomain(host('a', { rack: 'r1', hypervisor: 'x' }), host('b', { rack: 'r2', hypervisor: 'x' })),
      true,
    );
    // Unlabelled hosts are only their own domain.
    assert.equal(sharesFailureDomain(host('a'), host('b')), false);
    // Other labels (zone, disk type) do not count.
    assert.equal(sharesFailureDomain(host('a', { disk: 'ssd' }), host('b', { disk: 'ssd' })), false);
  });

  test("a DRBD peer is never placed in the primary's domain, even when that host is emptier", () => {
    const primary = host('p', { rack: 'r1' });
    const sameRack = host('s', { rack: 'r1' });
    const otherRack = host('o', { rack: 'r2' });
    const usage = [{ hostId: 'o', databases: 5, cpus: 4, memoryMb: 6000, diskGb: 50 }];
    const peer = chooseHost([primary, sameRack, otherRack], usage, {
      plan: { cpus: 1, memoryMb: 512, diskGb: 1 },
      accept: (h) => !sharesFailureDomain(h, primary),
    });
    assert.equal(peer?.id, 'o');
    assert.equal(
      chooseHost([primary, sameRack], [], {
        plan: { cpus: 1, memoryMb: 512, diskGb: 1 },
        accept: (h) => !sharesFailureDomain(h, primary),
      }),
      null,
    );
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

describe('HA_VIP_RANGE', () => {
  const env = (v?: string) => ({ HA_VIP_RANGE: v }) as never;
  test('parses first-last/prefix', () => {
    const r = vipRange(env('10.99.0.100-10.99.0.119/24'))!;
    assert.equal(r.last - r.first, 19);
    assert.equal(r.prefixLen, 24);
    assert.equal(intToIp(r.first), '10.99.0.100');
    assert.equal(intToIp(r.last + 200), '10.99.1.63');
  });
  test('none configured: no HA; bad ranges are refused', () => {
    assert.equal(vipRange(env(undefined)), null);
    assert.throws(() => vipRange(env('10.99.0.200-10.99.0.100/24')), /first address/);
    assert.throws(() => vipRange(env('10.99.0.300-10.99.0.310/24')), /not an IPv4/);
    assert.throws(() => vipRange(env('10.99.0.1-10.99.0.2/40')), /prefix/);
  });
});

describe('failover view', () => {
  test('durations are measured from detection', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 0, 0, s));
    const f = {
      id: 'f',
      databaseId: 'd',
      ha: 'drbd',
      reason: 'host-down',
      status: 'succeeded',
      fromHostId: 'a',
      toHostId: 'b',
      actor: 'failover-worker',
      error: null,
      operationId: 'o',
      detectedAt: t(0),
      fencedAt: t(1),
      storageMovedAt: t(3),
      startedAt: t(4),
      reachableAt: null,
      createdAt: t(0),
    } as unknown as FailoverEntity;
    const v = toFailoverView(
      f,
      new Map([
        ['a', host('a')],
        ['b', host('b')],
      ]),
    );
    assert.deepEqual(v.durationsMs, { fenced: 1000, storageMoved: 3000, started: 4000, reachable: null });
    assert.deepEqual(v.fromHost, { id: 'a', name: 'a' });
    assert.equal(v.timeline.reachableAt, null);
  });
});

describe('fencing: agents from the allow-list, confirmed by their status', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));
  const root = mkdtempSync(join(tmpdir(), 'fence-unit-'));
  const allow = join(root, 'allow');
  const outside = join(root, 'outside');
  const logs = join(root, 'logs');
  for (const d of [allow, outside, logs]) mkdirSync(d);
  let n = 0;
  /**
   * A real agent: records its argument count and its exact stdin (one file per run), then answers `off` and
   * `status` as told. `status` may be a list, one exit code per run (a power device that lags).
   */
  const agent = (dir: string, name: string, off: number, status: number[], stderr = '') => {
    const log = join(logs, `${name}-${++n}`);
    mkdirSync(log);
    const file = join(dir, name);
    writeFileSync(
      file,
      `#!/bin/bash
i=$(( $(ls "${log}" | grep -c '^stdin-') + 1 ))
echo "$#" > "${log}/argc-$i"
env > "${log}/env-$i"
cat > "${log}/stdin-$i"
action=$(sed -n 's/^action=//p' "${log}/stdin-$i")
[ -n "${stderr}" ] && echo "${stderr}" >&2
statuses=(${status.join(' ')})
s=$(ls "${log}" | grep -c '^stdin-')
case $action in
  off) exit ${off} ;;
  status) k=$(( $(grep -l '^action=status' "${log}"/stdin-* | wc -l) - 1 )); [ $k -ge \${#statuses[@]} ] && k=$(( \${#statuses[@]} - 1 )); exit \${statuses[$k]} ;;
  *) exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    return {
      env: (i: number) => readFileSync(join(log, `env-${i}`), 'utf8'),
      runs: () => {
        const out: { argc: string; stdin: string }[] = [];
        for (let i = 1; existsSync(join(log, `stdin-${i}`)); i++)
          out.push({
            argc: readFileSync(join(log, `argc-${i}`), 'utf8').trim(),
            stdin: readFileSync(join(log, `stdin-${i}`), 'utf8'),
          });
        return out;
      },
    };
  };
  const good = agent(allow, 'fence_good', 0, [2]);
  const stuck = agent(allow, 'fence_stuck', 0, [0]);
  const lagging = agent(allow, 'fence_lagging', 0, [0, 0, 2]);
  const broken = agent(allow, 'fence_broken', 1, [2], 'Unable to login as admin with password s3cret');
  const escaped = agent(outside, 'fence_outside', 0, [2]);
  symlinkSync(join(outside, 'fence_outside'), join(allow, 'fence_escape'));
  writeFileSync(join(allow, 'fence_noexec'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  writeFileSync(join(allow, 'fence_open'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(allow, 'fence_open'), 0o777);
  after(() => rmSync(root, { recursive: true, force: true }));

  const env = { FENCE_AGENTS_DIR: allow } as CommonEnv;
  // Stands for the control plane's secrets in its environment (MASTER_KEY...): agents must not inherit it.
  process.env.DBAAS_FENCE_CANARY = 'leak';
  /** An SSH session that answers poweroff -f as told (and records that it was sent). */
  const connector = (answer: 'exit0' | 'reset' | 'closed' | 'unreachable') => {
    const sent: string[][] = [];
    return {
      sent,
      connector: {
        executor: async () => {
          if (answer === 'unreachable') throw new Error('connect ECONNREFUSED');
          return {
            run: async (argv: string[]) => {
              sent.push(argv);
              if (answer === 'exit0') return { exitCode: 0, stdout: '', stderr: '' };
              throw new Error(answer === 'reset' ? 'read ECONNRESET' : 'Connection closed');
            },
          };
        },
        reset: async () => undefined,
      } as never,
    };
  };
  const fencer = (answer: 'exit0' | 'reset' | 'closed' | 'unreachable' = 'unreachable') => {
    const c = connector(answer);
    return { fencer: new HostFencer(c.connector, env, box), sent: c.sent };
  };
  const agentHost = (name: string, extra: Record<string, unknown> = {}) =>
    host('a', {}, {
      fencing: {
        driver: 'agent',
        agent: name,
        params: { ip: '10.0.0.5', username: 'admin' },
        sealedParams: { password: box.seal('s3cret') },
        // Room for bash to start on a loaded machine (CI): the timeouts under test are the shorter ones below.
        timeoutSec: 8,
        ...extra,
      },
    } as Partial<HostEntity>);

  test('an agent whose status says off fences: run with no argument, the parameters on stdin, secrets unsealed', async () => {
    const { fencer: f, sent } = fencer('exit0');
    const r = await f.fence(agentHost('fence_good'));
    assert.equal(r.fenced, true, r.detail);
    assert.equal(r.method, 'agent:fence_good');
    assert.equal(r.confirmedBy, 'agent-status');
    const runs = good.runs();
    assert.deepEqual(runs, [
      { argc: '0', stdin: 'action=off\nip=10.0.0.5\npassword=s3cret\nusername=admin\n' },
      { argc: '0', stdin: 'action=status\nip=10.0.0.5\npassword=s3cret\nusername=admin\n' },
    ]);
    assert.doesNotMatch(JSON.stringify(r), /s3cret/);
    // A bare environment: nothing of the control plane's own (its MASTER_KEY, DATABASE_URL...).
    assert.doesNotMatch(good.env(1), /DBAAS_FENCE_CANARY/);
    assert.match(good.env(1), /^PATH=/m);
    // poweroff -f was sent too, as an extra.
    assert.deepEqual(sent, [['poweroff', '-f']]);
  });

  test('off exits 0 but the status still says on: not fenced', async () => {
    // Long enough for two status runs even when each bash start takes a second.
    const r = await fencer().fencer.fence(agentHost('fence_stuck', { timeoutSec: 4 }));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /still on/);
    const runs = stuck.runs();
    assert.equal(runs[0].stdin.split('\n')[0], 'action=off');
    assert.ok(runs.filter((x) => x.stdin.startsWith('action=status')).length >= 2, 'the status is asked again');
  });

  test('a power device that lags: the status is asked again until it says off', async () => {
    const r = await fencer().fencer.fence(agentHost('fence_lagging', { timeoutSec: 10 }));
    assert.equal(r.fenced, true, r.detail);
    assert.equal(lagging.runs().length, 4);
  });

  test('off fails: not fenced, with the last line of its stderr (secrets masked), and no status run', async () => {
    const r = await fencer().fencer.fence(agentHost('fence_broken'));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /exited with 1: Unable to login as admin with password \*\*\*/);
    assert.doesNotMatch(r.detail, /s3cret/);
    assert.equal(broken.runs().length, 1);
  });

  test('an agent outside the allow-list, a symlink out of it, a path or a bad file is refused and never run', async () => {
    const { fencer: f } = fencer();
    for (const [name, why] of [
      ['fence_outside', /not in the allow-list/],
      ['fence_escape', /outside the allow-list/],
      ['../outside/fence_outside', /not a fence agent name/],
      ['fence_noexec', /not executable/],
      ['fence_open', /writable by anyone/],
    ] as const) {
      const r = await f.fence(agentHost(name));
      assert.equal(r.fenced, false, name);
      assert.match(r.detail, why, name);
      assert.match((await f.checkAgent(name)) ?? '', why, name);
    }
    assert.equal(escaped.runs().length, 0);
    assert.equal(await f.checkAgent('fence_good'), null);
    assert.deepEqual(await f.agents(), ['fence_broken', 'fence_good', 'fence_lagging', 'fence_stuck']);
    // No directory: no agent at all.
    const none = new HostFencer(
      connector('unreachable').connector,
      { FENCE_AGENTS_DIR: join(root, 'nope') } as CommonEnv,
      box,
    );
    assert.deepEqual(await none.agents(), []);
    assert.match((await none.checkAgent('fence_good')) ?? '', /not in the allow-list/);
  });

  test('poweroff -f over SSH never fences alone, whatever it answered', async () => {
    for (const answer of ['exit0', 'reset', 'closed', 'unreachable'] as const) {
      for (const fencing of [{ driver: 'ssh' } as const, null]) {
        const { fencer: f, sent } = fencer(answer);
        const r = await f.fence(host('a', {}, { fencing }));
        assert.equal(r.fenced, false, `${answer} ${JSON.stringify(fencing)}`);
        assert.match(r.detail, /no confirming fence method: an operator must confirm the host is off/);
        if (answer !== 'unreachable') assert.deepEqual(sent, [['poweroff', '-f']]);
      }
    }
  });

  test('sshPoweroff: false sends no poweroff -f; a failing agent is not rescued by SSH', async () => {
    const quiet = fencer('exit0');
    assert.equal((await quiet.fencer.fence(agentHost('fence_good', { sshPoweroff: false }))).fenced, true);
    assert.deepEqual(quiet.sent, []);
    const loud = fencer('exit0');
    assert.equal((await loud.fencer.fence(agentHost('fence_broken'))).fenced, false);
    assert.deepEqual(loud.sent, [['poweroff', '-f']]);
  });
});

describe('fencing configuration: validated, secrets sealed, never shown', () => {
  const base = { name: 'host-1', address: '10.0.0.1', capacity: { cpus: 1, memoryMb: 512, diskGb: 1 } };
  const problems = (fencing: unknown) => {
    try {
      RegisterHostCommand.create({ ...base, fencing });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };

  test('an argv, an unknown driver, a bad agent name or bad params are refused with a clear message', () => {
    for (const [fencing, why] of [
      [{ driver: 'command', command: ['/bin/true'] }, /an argv is not accepted: choose an agent from the allow-list/],
      [{ driver: 'agent', agent: 'fence_x', command: ['/bin/true'] }, /an argv is not accepted/],
      [['/usr/sbin/fence_ipmilan', '-o', 'off'], /an argv is not accepted/],
      [{ driver: 'ipmi' }, /driver must be "agent" or "ssh"/],
      [{ driver: 'agent', agent: '/usr/sbin/fence_ipmilan' }, /fencing.agent/],
      [{ driver: 'agent', agent: 'Fence' }, /fencing.agent/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 'a\nb' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: '' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 'x'.repeat(257) } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { IP: '1' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { action: 'on' } }, /fencing.params/],
      [{ driver: 'agent', agent: 'fence_x', params: { ip: 5 } }, /fencing.params/],
      [
        {
          driver: 'agent',
          agent: 'fence_x',
          params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, 'v'])),
        },
        /fencing.params/,
      ],
      [{ driver: 'agent', agent: 'fence_x', timeoutSec: 0 }, /timeoutSec/],
      [{ driver: 'agent', agent: 'fence_x', timeoutSec: 301 }, /timeoutSec/],
      [{ driver: 'agent', agent: 'fence_x', sshPoweroff: 'yes' }, /sshPoweroff/],
      [{ driver: 'agent', agent: 'fence_x', extra: 1 }, /unknown field "extra"/],
      [{ driver: 'ssh', timeoutSec: 3 }, /takes no other field/],
    ] as const) {
      assert.match(problems(fencing) ?? 'accepted', why, JSON.stringify(fencing));
    }
    assert.equal(problems({ driver: 'ssh' }), null);
    assert.equal(
      problems({
        driver: 'agent',
        agent: 'fence_ipmilan',
        params: { ip: '10.0.0.5', password: 'p' },
        timeoutSec: 300,
        sshPoweroff: false,
      }),
      null,
    );
    // The refusal never repeats a value (it may be a password).
    assert.doesNotMatch(problems({ driver: 'agent', agent: 'fence_x', params: { password: 'hunter2\n' } })!, /hunter2/);
  });

  test('secret params are sealed; the view shows their names only', () => {
    const box = new SecretBox(randomBytes(32).toString('base64'));
    const stored = sealFencing(
      {
        driver: 'agent',
        agent: 'fence_ipmilan',
        params: {
          ip: '10.0.0.5',
          username: 'admin',
          password: 's3cret',
          snmp_community: 'c0mm',
          api_key: 'k',
          passwd: 'p2',
        },
        timeoutSec: 20,
      },
      box,
    );
    assert.ok(stored && stored.driver === 'agent');
    assert.deepEqual(stored.params, { ip: '10.0.0.5', username: 'admin' });
    assert.deepEqual(Object.keys(stored.sealedParams).sort(), ['api_key', 'passwd', 'password', 'snmp_community']);
    assert.equal(box.open(stored.sealedParams.password), 's3cret');
    assert.doesNotMatch(JSON.stringify(stored), /s3cret|c0mm/);
    assert.deepEqual(fencingView(stored), {
      driver: 'agent',
      agent: 'fence_ipmilan',
      params: {
        ip: '10.0.0.5',
        username: 'admin',
        password: '***',
        snmp_community: '***',
        api_key: '***',
        passwd: '***',
      },
      timeoutSec: 20,
      sshPoweroff: true,
    });
    // "***" (as shown) keeps the stored secret of the same agent; with nothing stored it is refused.
    const kept = sealFencing(
      { driver: 'agent', agent: 'fence_ipmilan', params: { ip: '10.0.0.6', password: '***' } },
      box,
      stored,
    );
    assert.ok(kept?.driver === 'agent');
    assert.equal(kept.sealedParams.password, stored.sealedParams.password);
    assert.throws(
      () => sealFencing({ driver: 'agent', agent: 'fence_other', params: { password: '***' } }, box, stored),
      /keeps the stored secret/,
    );
    assert.throws(
      () => sealFencing({ driver: 'agent', agent: 'fence_ipmilan', params: { password: '***' } }, box),
      /keeps the stored secret/,
    );
    assert.deepEqual(fencingView({ driver: 'ssh' }), { driver: 'ssh' });
    assert.equal(fencingView(null), null);
    // A row of the old kind still in memory never leaks its argv.
    assert.equal(fencingView({ driver: 'command', command: ['/x', 'pw'] } as never), null);
  });
});

describe('SSH banner probe', () => {
  test('a listening SSH server answers; a closed port and a silent listener do not', async () => {
    const { createServer } = await import('node:net');
    const { sshBanner } = await import('../../libs/hosts/src/host-connector');
    const ssh = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const silent = createServer(() => undefined);
    const http = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const listen = (srv: ReturnType<typeof createServer>) =>
      new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
    const [p1, p2, p3] = [await listen(ssh), await listen(silent), await listen(http)];
    try {
      await sshBanner('127.0.0.1', p1, 1000);
      await assert.rejects(sshBanner('127.0.0.1', p2, 1000, 200), /no SSH banner within 200 ms/);
      await assert.rejects(sshBanner('127.0.0.1', p3, 1000), /not an SSH server/);
      ssh.close();
      await assert.rejects(sshBanner('127.0.0.1', p1, 1000), /ECONNREFUSED|closed/);
    } finally {
      for (const s of [ssh, silent, http]) s.close();
    }
  });
});

describe('drbd mirror states', () => {
  const volume = { id: 'v1', drbdMinor: 0 } as never;
  const driverWith = (result: { exitCode: number; stdout: string; stderr: string }) =>
    new DrbdStorageDriver(
      { executor: async () => ({ run: async () => result }) } as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
    );

  test('read from /proc/drbd on the primary', async () => {
    const d = driverWith({
      exitCode: 0,
      stdout: '/proc/drbd: 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n',
      stderr: '',
    });
    const m = await d.mirrors(host('h'), [volume]);
    assert.deepEqual(m.get('v1'), { role: 'primary', state: 'synced' });
  });

  test('a host without the marker directory yet (grep exit 2) still tells its mirrors', async () => {
    const d = driverWith({
      exitCode: 2,
      stdout: '/proc/drbd: 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----\n',
      stderr: '',
    });
    assert.deepEqual((await d.mirrors(host('h'), [volume])).get('v1'), { role: 'primary', state: 'degraded' });
  });

  test('a failed read (the host dying under it) is an error, never "degraded"', async () => {
    // Recording "degraded" here once blocked a legitimate failover: the probe raced the power cut.
    const d = driverWith({ exitCode: -1, stdout: '', stderr: '' });
    await assert.rejects(d.mirrors(host('h'), [volume]), /exited with -1/);
    // grep's exit 2 without /proc/drbd read (no DRBD module): an error too.
    await assert.rejects(
      driverWith({ exitCode: 2, stdout: '', stderr: '' }).mirrors(host('h'), [volume]),
      /exited with 2/,
    );
  });
});
