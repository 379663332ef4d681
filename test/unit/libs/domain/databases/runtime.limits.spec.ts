import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import type { ContainerState, HostConnector } from '@app/domain/ports';
import { buildContainerSpec, ioLimits } from '@app/domain/databases/runtime/container-spec';
import { DatabaseRuntime, type Loaded } from '@app/domain/databases/runtime/database-runtime.service';
import { DatabaseNetworkPolicy } from '@app/domain/databases/runtime/network-policy.service';
import {
  EgressLimiter,
  egressCmd,
  egressMbit,
  isNoQdisc,
  parseEgressStatus,
  tbfBurstBytes,
} from '@app/domain/databases/runtime/egress-limiter';
import { parseMountSource, volumeBlockDevice, volumeDeviceCmd } from '@app/domain/databases/runtime/volume-device';
import { blkioOptions, DockerRuntime, specHash } from '@app/hosts/docker/docker-runtime';
import { fail, FakeExecutor, ok } from '../../../../support/fake-executor';

const DB_ID = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const db = {
  id: DB_ID,
  tenantId: '11111111-2222-4333-8444-555555555555',
  engine: 'postgresql',
  version: '16',
  port: 20042,
  planId: 'p1',
} as DatabaseEntity;
const host = { id: 'h1', name: 'host1', address: '192.0.2.10', connection: 'local', dataRoot: '/srv' } as HostEntity;
const plan = {
  id: 'p1',
  name: 'limited',
  cpus: 0.5,
  memoryMb: 256,
  diskGb: 1,
  ioWeight: 50,
  ioReadMbps: 20,
  ioWriteMbps: null,
  egressMbit: 8,
} as PlanEntity;
const ctx = { username: 'app', password: 'Secr3tPw', dbName: 'app', adminPassword: 'Adm1nPw' };
const spec = (p: Partial<PlanEntity> = {}, ioDevice: string | null = '/dev/vda') =>
  buildContainerSpec({ db, host, plan: { ...plan, ...p } as PlanEntity, hostPath: '/srv/v1', ctx, ioDevice });

// Recorded on Debian 12 (iproute2 6.1) in a container's namespace.
const TBF_8 =
  '[{"kind":"tbf","handle":"8001:","root":true,"refcnt":3,"options":{"rate":1000000,"burst":65536,"lat":50000}}]';
const NOQUEUE = '[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]';
const NETNS = { netns: '/var/run/docker/netns/ce65b70e7308' };

describe('egress: tc argv', () => {
  test('replace a root tbf in the namespace Docker keeps for the container', () => {
    assert.deepEqual(egressCmd.apply(NETNS, 8), [
      'nsenter',
      '--net=/var/run/docker/netns/ce65b70e7308',
      'tc',
      'qdisc',
      'replace',
      'dev',
      'eth0',
      'root',
      'tbf',
      'rate',
      '8mbit',
      'burst',
      '65536',
      'latency',
      '50ms',
    ]);
  });

  test('by pid: nsenter -t <pid> -n', () => {
    assert.deepEqual(egressCmd.apply({ pid: 4242 }, 1000).slice(0, 4), ['nsenter', '-t', '4242', '-n']);
    assert.deepEqual(egressCmd.remove({ pid: 4242 }), [
      'nsenter',
      '-t',
      '4242',
      '-n',
      'tc',
      'qdisc',
      'del',
      'dev',
      'eth0',
      'root',
    ]);
    assert.deepEqual(egressCmd.show({ pid: 4242 }).slice(4), ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']);
  });

  test('burst: at least 64 KiB (a GSO segment), else 10 ms of the rate', () => {
    assert.equal(tbfBurstBytes(8), 65536);
    assert.equal(tbfBurstBytes(1000), 1_250_000);
    assert.equal(egressCmd.apply(NETNS, 1000)[12], '1250000');
  });

  test('rates, pids and paths are validated: integers only, nothing a shell or tc could misread', () => {
    for (const bad of [0, -1, 1.5, NaN, 100_001, '8' as unknown as number, '8mbit; reboot' as unknown as number])
      assert.throws(() => egressMbit(bad), /unsafe egress rate/);
    for (const pid of [0, 1, -5, 2.5, 5_000_000, '42' as unknown as number])
      assert.throws(() => egressCmd.apply({ pid }, 8), /unsafe pid/);
    for (const netns of ['relative/ns', '/var/run/../etc/x', '/a b', '/x;y', '', '--net=/x'])
      assert.throws(() => egressCmd.apply({ netns }, 8), /unsafe network namespace path/);
  });
});

describe('egress: EgressLimiter', () => {
  test('apply runs one replace; null deletes the root qdisc', async () => {
    const x = new FakeExecutor().on((a) => a.includes('replace'), ok()).on((a) => a.includes('del'), ok());
    const l = new EgressLimiter(x);
    await l.apply(NETNS, 8);
    await l.apply(NETNS, null);
    assert.deepEqual(
      x.argvs.map((a) => a[4]),
      ['replace', 'del'],
    );
  });

  test('removing where nothing is shaped is fine (idempotent); other errors are not', async () => {
    const zero = fail(2, 'Error: Cannot delete qdisc with handle of zero.');
    assert.ok(isNoQdisc(zero.stderr));
    await new EgressLimiter(new FakeExecutor().on(() => true, zero)).apply(NETNS, null);
    const gone = fail(1, "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument");
    await assert.rejects(
      new EgressLimiter(new FakeExecutor().on(() => true, gone)).apply(NETNS, null),
      /exited with 1/,
    );
    await assert.rejects(
      new EgressLimiter(new FakeExecutor().on(() => true, gone)).apply(NETNS, 8),
      /Invalid argument/,
    );
  });

  test('check: tbf at the plan rate is in place; another rate or none is not', async () => {
    assert.deepEqual(parseEgressStatus(TBF_8, 8), { inPlace: true, current: 'tbf 8mbit' });
    assert.deepEqual(parseEgressStatus(TBF_8, 16), { inPlace: false, current: 'tbf 8mbit' });
    assert.deepEqual(parseEgressStatus(TBF_8, null), { inPlace: false, current: 'tbf 8mbit' });
    assert.deepEqual(parseEgressStatus(NOQUEUE, 8), { inPlace: false, current: 'noqueue' });
    assert.deepEqual(parseEgressStatus(NOQUEUE, null), { inPlace: true, current: 'noqueue' });
    assert.throws(() => parseEgressStatus('qdisc tbf 8001: root', 8), /no JSON/);
    const x = new FakeExecutor().on((a) => a.includes('show'), ok(TBF_8));
    assert.equal((await new EgressLimiter(x).check({ pid: 77 }, 8)).inPlace, true);
    assert.deepEqual(x.argvs[0], ['nsenter', '-t', '77', '-n', 'tc', '-j', 'qdisc', 'show', 'dev', 'eth0']);
  });
});

describe('disk caps: the volume block device', () => {
  const lookup = (findmnt: ReturnType<typeof ok>, lsblk = ok('disk ')) =>
    new FakeExecutor().on((a) => a[0] === 'findmnt', findmnt).on((a) => a[0] === 'lsblk', lsblk);

  test('findmnt then lsblk, as argv', async () => {
    const x = lookup(ok('/dev/vda'));
    assert.deepEqual(await volumeBlockDevice(x, '/srv/v1'), { device: '/dev/vda', reason: null });
    assert.deepEqual(x.argvs, [
      ['findmnt', '-n', '-o', 'SOURCE', '--target', '/srv/v1'],
      ['lsblk', '-n', '-d', '-o', 'TYPE,PKNAME', '/dev/vda'],
    ]);
  });

  test('a partition is capped on its disk (the kernel refuses a partition)', async () => {
    assert.deepEqual(await volumeBlockDevice(lookup(ok('/dev/sda3'), ok('part sda')), '/srv/v1'), {
      device: '/dev/sda',
      reason: null,
    });
  });

  test('a bind of a directory on a disk: that disk', async () => {
    assert.equal(parseMountSource('/dev/vda[/var/lib/docker]'), '/dev/vda');
    assert.equal(parseMountSource('/dev/mapper/vg0-db1\n'), '/dev/mapper/vg0-db1');
  });

  test('overlay, tmpfs, nfs, no mount, not a block device: no device, a reason, no throw', async () => {
    for (const src of ['overlay', 'tmpfs', 'nfs1:/export/db', '/dev/../etc/passwd']) {
      const r = await volumeBlockDevice(lookup(ok(src)), '/srv/v1');
      assert.equal(r.device, null);
      assert.match(r.reason!, /not a block device/);
    }
    assert.match((await volumeBlockDevice(lookup(fail(1, '')), '/srv/v1')).reason!, /no mount/);
    const notBlock = lookup(ok('/dev/root'), fail(32, 'lsblk: /dev/root: not a block device'));
    assert.deepEqual(await volumeBlockDevice(notBlock, '/srv/v1'), {
      device: null,
      reason: '/dev/root is not a block device',
    });
  });

  test('an unsafe path is refused before anything runs', () => {
    assert.throws(() => volumeDeviceCmd.findmnt('relative'), /unsafe host path/);
    assert.throws(() => volumeDeviceCmd.findmnt('-o'), /unsafe host path/);
  });
});

describe('container spec and Docker options', () => {
  test('the plan limits are in the spec; the device only with a cap', () => {
    const s = spec();
    assert.deepEqual(s.io, { weight: 50, readMbps: 20, writeMbps: null, device: '/dev/vda' });
    assert.equal(s.egressMbit, 8);
    assert.deepEqual(ioLimits({ ...plan, ioReadMbps: null } as PlanEntity, '/dev/vda').device, null);
  });

  test('Docker: BlkioWeight and per-device bytes/s (MiB/s x 2^20)', () => {
    assert.deepEqual(blkioOptions(spec().io), {
      BlkioWeight: 50,
      BlkioDeviceReadBps: [{ Path: '/dev/vda', Rate: 20 * 2 ** 20 }],
      BlkioDeviceWriteBps: [],
    });
    // No device (overlay...): the weight still, no caps.
    assert.deepEqual(blkioOptions(spec({}, null).io).BlkioDeviceReadBps, []);
    assert.deepEqual(blkioOptions(undefined), { BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [] });
  });

  test('the spec hash changes with the disk limits, not with the egress rate (shaped live)', () => {
    const base = specHash(spec());
    assert.notEqual(specHash(spec({ ioWeight: 100 })), base);
    assert.notEqual(specHash(spec({ ioReadMbps: 40 })), base);
    assert.notEqual(specHash(spec({ ioWriteMbps: 10 })), base);
    assert.notEqual(specHash(spec({}, '/dev/vdb')), base);
    assert.equal(specHash(spec({ egressMbit: 100 })), base);
    assert.equal(specHash(spec({ egressMbit: null })), base);
  });
});

/** A dockerode stand-in: one container, its create options and updates recorded. */
function fakeDocker(hostConfig: Record<string, unknown> = {}) {
  const created: Docker.ContainerCreateOptions[] = [];
  const updates: Record<string, unknown>[] = [];
  let exists = false;
  const container = {
    inspect: async () => {
      if (!exists) throw Object.assign(new Error('no such container'), { statusCode: 404 });
      return {
        Id: 'c1',
        State: { Running: true, Status: 'running', Pid: 4242 },
        Config: { Labels: created[0]?.Labels ?? {} },
        RestartCount: 0,
        NetworkSettings: { SandboxKey: '/var/run/docker/netns/abc123' },
        HostConfig: { BlkioWeight: 0, ...(created[0]?.HostConfig ?? {}), ...hostConfig },
      };
    },
    start: async () => undefined,
    update: async (o: Record<string, unknown>) => void updates.push(o),
  };
  const docker = {
    getContainer: () => container,
    createContainer: async (o: Docker.ContainerCreateOptions) => {
      created.push(o);
      exists = true;
    },
    // The tenant's network, there already.
    getNetwork: () => ({ inspect: async () => ({ Options: { 'com.docker.network.bridge.enable_icc': 'false' } }) }),
    // The tenant's network exists, whatever its name.
    listNetworks: async (o: { filters: { name: string[] } }) => [
      {
        Id: 'n1',
        Name: o.filters.name[0],
        Created: '2026-12-01T00:00:00Z',
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      },
    ],
  };
  return { docker: docker as unknown as Docker, created, updates, create: () => (exists = true) };
}

describe('DockerRuntime', () => {
  test('creates the container with the block I/O limits; reports pid, namespace and applied weight', async () => {
    const f = fakeDocker();
    const state = await new DockerRuntime(f.docker).ensureRunning(spec());
    const hc = f.created[0].HostConfig!;
    assert.equal(hc.BlkioWeight, 50);
    assert.deepEqual(hc.BlkioDeviceReadBps, [{ Path: '/dev/vda', Rate: 20971520 }]);
    assert.deepEqual(hc.BlkioDeviceWriteBps, []);
    assert.deepEqual(
      { pid: state.pid, netns: state.netns, ioWeight: state.ioWeight },
      { pid: 4242, netns: '/var/run/docker/netns/abc123', ioWeight: 50 },
    );
  });

  test('updateResources: weight live; the same caps: updated; other caps: recreate', async () => {
    const f = fakeDocker({ BlkioDeviceReadBps: [{ Path: '/dev/vda', Rate: 20971520 }], BlkioDeviceWriteBps: null });
    f.create();
    const rt = new DockerRuntime(f.docker);
    assert.equal(await rt.updateResources('c', { cpus: 1, memoryMb: 384, io: spec().io }), 'updated');
    assert.deepEqual(f.updates[0], {
      NanoCpus: 1e9,
      Memory: 384 * 2 ** 20,
      MemorySwap: 384 * 2 ** 20,
      BlkioWeight: 50,
    });
    assert.equal(
      await rt.updateResources('c', { cpus: 1, memoryMb: 384, io: spec({ ioReadMbps: 40 }).io }),
      'recreate',
    );
    assert.equal(
      await rt.updateResources('c', { cpus: 1, memoryMb: 384, io: spec({ ioWriteMbps: 5 }).io }),
      'recreate',
    );
    assert.equal(await rt.updateResources('c', { cpus: 1, memoryMb: 384 }), 'updated');
  });
});

describe('DatabaseRuntime and DatabaseNetworkPolicy: limits around a start', () => {
  function runtimeOn(states: (ContainerState | null)[], exec: FakeExecutor) {
    const runtime = { inspect: async () => (states.length > 1 ? states.shift()! : states[0]) };
    const connector = { runtime: async () => runtime, executor: async () => exec } as unknown as HostConnector;
    const plans = { get: async () => plan };
    const env = {};
    const network = new DatabaseNetworkPolicy(connector, plans as never);
    // Positional: databases, hosts, plans, volumes, connector, storage, clients, secrets, env, certificates, network.
    const args: unknown[] = [null, null, plans, null, connector, null, null, null, env, null, network];
    const live = new (DatabaseRuntime as unknown as new (...a: unknown[]) => DatabaseRuntime)(...args);
    return Object.assign(live, {
      shapeEgress: network.shapeEgress.bind(network),
      ensureEgress: network.ensureEgress.bind(network),
    });
  }
  const running = (pid: number, netns: string | null = `/var/run/docker/netns/n${pid}`): ContainerState => ({
    id: 'c1',
    running: true,
    status: 'running',
    labels: {},
    restartCount: 0,
    pid,
    netns,
    ioWeight: 50,
  });
  const loaded = { db, host, plan, volume: {}, ctx } as unknown as Loaded;

  const filter = (a: readonly string[]) => a.includes('iptables-restore');

  test('filters, then shapes, the namespace of the running container', async () => {
    const x = new FakeExecutor().on((a) => a.includes('replace'), ok()).on(filter, ok());
    assert.equal(await runtimeOn([running(10)], x).shapeEgress(host, DB_ID, 8), true);
    assert.deepEqual(
      x.argvs.map((a) => a.slice(0, 3)),
      [
        ['nsenter', '--net=/var/run/docker/netns/n10', 'iptables-restore'],
        ['nsenter', '--net=/var/run/docker/netns/n10', 'tc'],
      ],
    );
    // Refused by default (a plan that does not say), allowed when asked.
    assert.match(x.calls[0].opts.input ?? '', /-A OUTPUT -j REJECT/);
    await runtimeOn([running(10)], x).shapeEgress(host, DB_ID, 8, true);
    assert.doesNotMatch(x.calls[2].opts.input ?? '', /REJECT/);
  });

  test('restarted between inspect and tc: the new namespace is filtered and shaped too', async () => {
    const x = new FakeExecutor().on((a) => a.includes('replace'), ok()).on(filter, ok());
    const p = runtimeOn([running(10), running(11), running(11), running(11)], x);
    assert.equal(await p.shapeEgress(host, DB_ID, 8), true);
    assert.deepEqual(
      x.argvs.map((a) => a[1]),
      [
        '--net=/var/run/docker/netns/n10',
        '--net=/var/run/docker/netns/n10',
        '--net=/var/run/docker/netns/n11',
        '--net=/var/run/docker/netns/n11',
      ],
    );
  });

  test('not running: nothing to shape', async () => {
    assert.equal(await runtimeOn([null], new FakeExecutor()).shapeEgress(host, DB_ID, 8), false);
  });

  test('a tc failure does not fail the database: a note and a log line', async () => {
    const notes: string[] = [];
    const x = new FakeExecutor()
      .on(filter, ok())
      .on(() => true, fail(127, 'nsenter: failed to execute tc: No such file or directory'));
    await runtimeOn([running(10)], x).applyLimits(loaded, (m) => notes.push(m));
    assert.deepEqual(notes, ['egress bandwidth limit not applied; see the worker log']);
  });

  test('an iptables failure does not fail the database either, nor keep the rate from being applied', async () => {
    const notes: string[] = [];
    const x = new FakeExecutor()
      .on(filter, fail(127, 'nsenter: failed to execute iptables-restore: No such file or directory'))
      .on((a) => a.includes('replace'), ok());
    await runtimeOn([running(10)], x).applyLimits(loaded, (m) => notes.push(m));
    assert.deepEqual(notes, ['outbound connections filter not applied (the plan refuses them); see the worker log']);
    assert.equal(x.argvs[1][4], 'replace', 'the rate was applied after the filter failed');
  });

  test('ensureEgress: in place is left alone; lost (restart) is re-applied', async () => {
    const blocked = ok(
      '*filter\n-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A OUTPUT -j REJECT --reject-with icmp-port-unreachable\n',
    );
    const saved = (a: readonly string[]) => a.includes('iptables-save');
    const inPlace = new FakeExecutor().on((a) => a.includes('show'), ok(TBF_8)).on(saved, blocked);
    assert.deepEqual(await runtimeOn([running(10)], inPlace).ensureEgress(host, db), {
      inPlace: true,
      current: 'tbf 8mbit, outbound blocked',
      reapplied: false,
    });
    assert.equal(inPlace.argvs.length, 2);
    // A new namespace: neither the rate nor the filter.
    const lost = new FakeExecutor()
      .on((a) => a.includes('show'), ok(NOQUEUE))
      .on(saved, ok(''))
      .on((a) => a.includes('replace'), ok())
      .on(filter, ok());
    assert.deepEqual(await runtimeOn([running(10)], lost).ensureEgress(host, db), {
      inPlace: false,
      current: 'noqueue, outbound open',
      reapplied: true,
    });
    assert.deepEqual(
      lost.argvs.slice(2).map((a) => a[2]),
      ['iptables-restore', 'tc'],
    );
  });

  test('spec: disk caps on the volume disk; none found: no caps, a note, no failure', async () => {
    const disk = new FakeExecutor()
      .on((a) => a[0] === 'findmnt', ok('/dev/vda'))
      .on((a) => a[0] === 'lsblk', ok('disk '));
    assert.equal((await runtimeOn([null], disk).spec(loaded, '/srv/v1')).io?.device, '/dev/vda');
    const notes: string[] = [];
    const tmpfs = new FakeExecutor().on((a) => a[0] === 'findmnt', ok('tmpfs'));
    const s = await runtimeOn([null], tmpfs).spec(loaded, '/srv/v1', (m) => notes.push(m));
    assert.deepEqual(s.io, { weight: 50, readMbps: 20, writeMbps: null, device: null });
    assert.equal(notes.length, 1);
    // No caps in the plan: nothing is looked up on the host.
    const none = new FakeExecutor();
    const p = runtimeOn([null], none);
    await p.spec({ ...loaded, plan: { ...plan, ioReadMbps: null } as PlanEntity }, '/srv/v1');
    assert.equal(none.calls.length, 0);
  });
});
