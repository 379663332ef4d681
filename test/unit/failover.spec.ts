import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailoverEntity, HostEntity } from '../../libs/persistence/src/entities';
import { chooseHost, sharesFailureDomain } from '../../libs/domain/src/placement/least-loaded';
import { toFailoverView } from '../../libs/domain/src/failover/use-cases/failover.usecases';
import { mirrorStateOf, parseProcDrbd } from '../../libs/storage/src/drbd/proc-drbd';
import { intToIp, vipRange } from '../../libs/config/src/env';
import { HostFencer } from '../../libs/hosts/src/fencing/host-fencer';
import { DrbdStorageDriver } from '../../libs/storage/src/drbd/drbd.driver';

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

describe('fencing drivers', () => {
  const connector = (reachable: boolean) =>
    ({
      executor: async () => {
        if (!reachable) throw new Error('connect ECONNREFUSED');
        return { run: async () => Promise.reject(new Error('Connection closed')) };
      },
      reset: async () => undefined,
    }) as never;

  test('a power command that succeeds fences, whatever SSH says', async () => {
    const r = await new HostFencer(connector(false)).fence(
      host('a', {}, { fencing: { driver: 'command', command: ['/bin/true'] } }),
    );
    assert.deepEqual([r.fenced, r.method], [true, 'power-command']);
  });
  test('a failing power command does not fence, even if the host took poweroff over SSH', async () => {
    const r = await new HostFencer(connector(true)).fence(
      host('a', {}, { fencing: { driver: 'command', command: ['/bin/false'] } }),
    );
    assert.equal(r.fenced, false);
    assert.match(r.detail, /exited with 1/);
  });
  test('ssh only: fenced when the host accepted poweroff, not when unreachable', async () => {
    assert.equal(
      (await new HostFencer(connector(true)).fence(host('a', {}, { fencing: { driver: 'ssh' } }))).fenced,
      true,
    );
    const r = await new HostFencer(connector(false)).fence(host('a', {}, { fencing: { driver: 'ssh' } }));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /unreachable/);
  });
  test('no method configured: not fenced, and it says so', async () => {
    const r = await new HostFencer(connector(false)).fence(host('a', {}, { fencing: null }));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /unreachable|no fencing method/);
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
