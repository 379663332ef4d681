import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { DatabaseEntity, HostEntity, PlanEntity } from '@app/persistence/entities';
import { buildContainerSpec, hostPreparation } from '@app/domain/databases/runtime/container-spec';
import { EgressLimiter, firewallCmd, firewallRules, parseFirewall } from '@app/domain/databases/runtime/egress-limiter';
import { prepareHost, prepareCmd } from '@app/domain/databases/runtime/host-preparation';
import { DockerRuntime, specHash } from '@app/hosts/docker/docker-runtime';
import { fail, FakeExecutor, ok } from '../../../../support/fake-executor';

const DB_ID = '3f2a9c1e-8b4d-4e6f-9a1b-2c3d4e5f6a7b';
const TENANT_ID = '11111111-2222-4333-8444-555555555555';
const db = { id: DB_ID, tenantId: TENANT_ID, engine: 'postgresql', version: '15', port: 20042 } as DatabaseEntity;
const host = { id: 'h1', address: '127.0.0.1', dataRoot: '/srv/dbaas' } as HostEntity;
const plan = { name: 'small', cpus: 0.5, memoryMb: 512, diskGb: 1 } as PlanEntity;
const ctx = { username: 'app', password: 'Secr3tPw', dbName: 'app', adminPassword: 'Adm1nPw' };
const NETNS = { netns: '/var/run/docker/netns/ce65b70e7308' };

describe('host preparation: volume owner and password files', () => {
  test('argv: chown only what is not the engine user, never through a symlink nor onto another filesystem', () => {
    assert.deepEqual(prepareCmd.ownVolume('/srv/dbaas/v1', 999, 999), [
      'find',
      '/srv/dbaas/v1',
      '-xdev',
      '(',
      '!',
      '-uid',
      '999',
      '-o',
      '!',
      '-gid',
      '999',
      ')',
      '-exec',
      'chown',
      '-h',
      '999:999',
      '{}',
      '+',
    ]);
    // From stdin (a password is never an argument), then the engine user's, 0600.
    assert.deepEqual(prepareCmd.secretFile('/srv/dbaas/secrets/x', 'postgres_password'), [
      'dd',
      'of=/srv/dbaas/secrets/x/postgres_password',
      'status=none',
    ]);
    assert.deepEqual(prepareCmd.secretFileOwner('/srv/dbaas/secrets/x', 'postgres_password', 999, 999), [
      'chown',
      '999:999',
      '--',
      '/srv/dbaas/secrets/x/postgres_password',
    ]);
    assert.deepEqual(prepareCmd.secretFileMode('/srv/dbaas/secrets/x', 'postgres_password'), [
      'chmod',
      '0600',
      '--',
      '/srv/dbaas/secrets/x/postgres_password',
    ]);
    for (const bad of ['relative', '/a/../b', '/a b', '/x;y', ''])
      assert.throws(() => prepareCmd.ownVolume(bad, 999, 999), /unsafe path/);
    for (const id of [0, -1, 1.5, 2 ** 31, '999' as unknown as number])
      assert.throws(() => prepareCmd.ownVolume('/v', id, 999), /unsafe uid/);
    assert.throws(() => prepareCmd.secretFile('/d', '../passwd'), /unsafe file name/);
  });

  test('runs: volume owner, secrets root (0700, root), the database dir (0700, engine user), each file from stdin', async () => {
    const x = new FakeExecutor().on(() => true, ok());
    await prepareHost(x, hostPreparation({ db, host, hostPath: '/srv/dbaas/v1', ctx }));
    assert.deepEqual(
      x.calls.map((c) => [c.argv[0], c.argv.at(-1)]),
      [
        ['find', '+'],
        ['install', '/srv/dbaas/secrets'],
        ['install', `/srv/dbaas/secrets/${DB_ID}`],
        ['dd', 'status=none'],
        ['chown', `/srv/dbaas/secrets/${DB_ID}/postgres_password`],
        ['chmod', `/srv/dbaas/secrets/${DB_ID}/postgres_password`],
        ['dd', 'status=none'],
        ['chown', `/srv/dbaas/secrets/${DB_ID}/tenant_init`],
        ['chmod', `/srv/dbaas/secrets/${DB_ID}/tenant_init`],
      ],
    );
    assert.deepEqual(x.calls[1].argv, ['install', '-d', '-m', '0700', '--', '/srv/dbaas/secrets']);
    assert.deepEqual(x.calls[2].argv.slice(0, 8), ['install', '-d', '-m', '0700', '-o', '999', '-g', '999']);
    // The password goes through stdin (never an argument) and is masked in any error.
    assert.equal(x.calls[3].opts.input, 'Adm1nPw');
    assert.deepEqual(x.calls[3].opts.secrets, ['Adm1nPw']);
  });

  test('a failure names the step, without the password', async () => {
    const x = new FakeExecutor().on(
      (a) => a[0] === 'find',
      fail(1, "chown: changing ownership of 'x': Read-only file system"),
    );
    await assert.rejects(
      prepareHost(x, hostPreparation({ db, host, hostPath: '/srv/dbaas/v1', ctx })),
      /volume owner: find exited with 1: chown: changing ownership/,
    );
  });
});

describe('egress firewall: iptables in the container network namespace', () => {
  test('blocked: replies and loopback only (not Docker resolver: it forwards names out)', () => {
    assert.equal(
      firewallRules(false),
      [
        '*filter',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        '-A OUTPUT -o lo -d 127.0.0.11/32 -j REJECT',
        '-A OUTPUT -o lo -j ACCEPT',
        '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
        '-A OUTPUT -j REJECT',
        'COMMIT',
        '',
      ].join('\n'),
    );
    // Allowed: the filter table emptied (the whole table is replaced in one go, so never half applied).
    assert.equal(
      firewallRules(true),
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
    );
    assert.deepEqual(firewallCmd.restore(NETNS), [
      'nsenter',
      '--net=/var/run/docker/netns/ce65b70e7308',
      'iptables-restore',
      '-w',
      '5',
    ]);
    assert.deepEqual(firewallCmd.save({ pid: 4242 }), ['nsenter', '-t', '4242', '-n', 'iptables-save', '-t', 'filter']);
  });

  // Recorded from iptables-save 1.8.9 (nf_tables) in a container's namespace.
  const SAVED_BLOCKED = `# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 14:54:42 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -d 127.0.0.11/32 -o lo -j REJECT --reject-with icmp-port-unreachable
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A OUTPUT -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;
  test('parse: blocked, open (no filter table yet, or emptied), or something else', () => {
    assert.deepEqual(parseFirewall(SAVED_BLOCKED, false), { inPlace: true, current: 'outbound blocked' });
    assert.deepEqual(parseFirewall(SAVED_BLOCKED, true), { inPlace: false, current: 'outbound blocked' });
    assert.deepEqual(parseFirewall('', false), { inPlace: false, current: 'outbound open' });
    assert.deepEqual(parseFirewall('', true), { inPlace: true, current: 'outbound open' });
    const partial = SAVED_BLOCKED.replace(/^-A OUTPUT -j REJECT.*\n/m, '');
    assert.deepEqual(parseFirewall(partial, false), { inPlace: false, current: 'outbound partly filtered' });
  });

  test('EgressLimiter.guard restores the table through stdin; check reads it back', async () => {
    const x = new FakeExecutor()
      .on((a) => a.includes('iptables-restore'), ok())
      .on((a) => a.includes('iptables-save'), ok(SAVED_BLOCKED));
    const l = new EgressLimiter(x);
    await l.guard(NETNS, false);
    assert.equal(x.calls[0].opts.input, firewallRules(false));
    assert.deepEqual(await l.checkGuard(NETNS, false), { inPlace: true, current: 'outbound blocked' });
    const broken = new FakeExecutor().on(() => true, fail(1, 'iptables-restore: line 5 failed'));
    await assert.rejects(new EgressLimiter(broken).guard(NETNS, false), /iptables-restore exited with 1/);
  });
});

/** A dockerode stand-in: containers and networks, what was created recorded. */
function fakeDocker(opts: { network?: Record<string, unknown> | null; running?: boolean } = {}) {
  const created: Docker.ContainerCreateOptions[] = [];
  const networks: Record<string, unknown>[] = [];
  const events: string[] = [];
  let exists = opts.running ?? false;
  let labels: Record<string, string> = {};
  const container = {
    inspect: async () => {
      if (!exists) throw Object.assign(new Error('no such container'), { statusCode: 404 });
      return {
        Id: 'c1',
        State: { Running: true, Status: 'running', Pid: 4242 },
        Config: { Labels: created.at(-1)?.Labels ?? labels },
        RestartCount: 0,
        NetworkSettings: { SandboxKey: '/var/run/docker/netns/abc123' },
        HostConfig: { BlkioWeight: 0 },
      };
    },
    start: async () => void events.push('start'),
    stop: async () => void events.push('stop'),
    remove: async () => {
      events.push('remove');
      exists = false;
    },
  };
  let network = opts.network === undefined ? null : opts.network;
  const docker = {
    getContainer: () => container,
    createContainer: async (o: Docker.ContainerCreateOptions) => {
      events.push('create');
      created.push(o);
      exists = true;
    },
    getNetwork: (name: string) => ({
      inspect: async () => {
        if (!network) throw Object.assign(new Error(`network ${name} not found`), { statusCode: 404 });
        return network;
      },
      remove: async () => void events.push(`network-remove ${name}`),
    }),
    createNetwork: async (o: Record<string, unknown>) => {
      events.push('network-create');
      networks.push(o);
      network = { Name: o.Name, Options: o.Options };
    },
    // The one network there is, whatever name is asked (as getNetwork above).
    listNetworks: async (o: { filters: { name: string[] } }) =>
      network ? [{ Id: 'n1', Name: o.filters.name[0], Created: '2026-12-01T00:00:00Z', Options: network.Options }] : [],
  };
  return {
    docker: docker as unknown as Docker,
    created,
    networks,
    events,
    setLabels: (l: Record<string, string>) => (labels = l),
  };
}

describe('DockerRuntime: the contained container', () => {
  const spec = () => buildContainerSpec({ db, host, plan, hostPath: '/srv/dbaas/v1', ctx });

  test('created with no capabilities, its user, a read-only root, tmpfs, limits and the tenant network', async () => {
    const f = fakeDocker();
    await new DockerRuntime(f.docker).ensureRunning(spec());
    const o = f.created[0];
    const hc = o.HostConfig!;
    assert.equal(o.User, '999:999');
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.CapAdd, []);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.equal(hc.PidsLimit, 1024);
    assert.deepEqual(hc.Ulimits, [
      { Name: 'nofile', Soft: 16384, Hard: 16384 },
      { Name: 'core', Soft: 0, Hard: 0 },
    ]);
    assert.deepEqual(Object.keys(hc.Tmpfs ?? {}), ['/var/run/postgresql', '/tmp']);
    assert.equal(hc.NetworkMode, `dbaas-t-${TENANT_ID}`);
    assert.deepEqual(Object.keys(o.NetworkingConfig?.EndpointsConfig ?? {}), [`dbaas-t-${TENANT_ID}`]);
    // The published port stays: a user-defined bridge publishes as the default one does.
    assert.deepEqual(hc.PortBindings, { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '20042' }] });
    assert.deepEqual(
      hc.Mounts?.map((m) => [m.Target, m.ReadOnly ?? false]),
      [
        ['/var/lib/postgresql/data', false],
        ['/run/secrets/dbaas', true],
        ['/docker-entrypoint-initdb.d/50-dbaas-tenant.sql', true],
      ],
    );
    assert.ok(!JSON.stringify(o.Env).includes('Adm1nPw'), 'no password in the env');
  });

  test('the tenant network is made once, a bridge without traffic between its containers', async () => {
    const f = fakeDocker();
    const rt = new DockerRuntime(f.docker);
    await rt.ensureNetwork(`dbaas-t-${TENANT_ID}`, { 'dbaas.tenant': TENANT_ID });
    await rt.ensureNetwork(`dbaas-t-${TENANT_ID}`, { 'dbaas.tenant': TENANT_ID });
    assert.equal(f.networks.length, 1);
    assert.deepEqual(f.networks[0], {
      Name: `dbaas-t-${TENANT_ID}`,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { 'dbaas.tenant': TENANT_ID },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
    // One made by hand with inter-container traffic on is not used.
    const open = fakeDocker({ network: { Name: 'n', Options: {} } });
    await assert.rejects(new DockerRuntime(open.docker).ensureNetwork('n'), /allows traffic between its containers/);
  });

  test('host preparation runs before the container is created, never under a running one', async () => {
    const f = fakeDocker();
    const rt = new DockerRuntime(f.docker);
    const s = { ...spec(), prepare: async () => void f.events.push('prepare') };
    await rt.ensureRunning(s);
    assert.deepEqual(f.events, ['network-create', 'prepare', 'create', 'start']);
    f.events.length = 0;
    await rt.ensureRunning(s); // running, same definition: nothing touched on the host
    assert.deepEqual(f.events, ['start']);
    // A container of an older definition: stopped, removed, then the host prepared, then the new one.
    const old = fakeDocker({
      running: true,
      network: { Name: 'n', Options: { 'com.docker.network.bridge.enable_icc': 'false' } },
    });
    old.setLabels({ 'dbaas.spec-hash': 'older' });
    await new DockerRuntime(old.docker).ensureRunning({ ...s, prepare: async () => void old.events.push('prepare') });
    assert.deepEqual(old.events, ['stop', 'remove', 'prepare', 'create', 'start']);
    assert.equal(old.created[0].Labels?.['dbaas.spec-hash'], specHash(s));
  });

  test('the networks of a label with the containers bound to them (created ones too); one in use or gone is not removed', async () => {
    const removed: string[] = [];
    // Containers by the network they name: a standby (created, never started) names it as a running one does.
    const bound: Record<string, string[]> = { 'dbaas-t-used': ['c1'], standby: ['c2'] };
    const docker = {
      listNetworks: async (o: { filters: { label: string[] } }) => {
        assert.deepEqual(o.filters.label, ['dbaas.tenant']);
        return ['free', 'used', 'standby', 'gone'].map((id) => ({ Id: id, Name: `dbaas-t-${id}` }));
      },
      listContainers: async (o: { all: boolean; filters: { network: string[] } }) => {
        assert.equal(o.all, true, 'stopped and created containers count');
        return o.filters.network.flatMap((n) => bound[n] ?? []).map((Id) => ({ Id }));
      },
      getNetwork: (id: string) => ({
        remove: async () => {
          if (id === 'used')
            throw Object.assign(new Error('error while removing network: network dbaas-t-used has active endpoints'), {
              statusCode: 403,
            });
          if (id === 'gone') throw Object.assign(new Error('network not found'), { statusCode: 404 });
          removed.push(id);
        },
      }),
    } as unknown as Docker;
    const rt = new DockerRuntime(docker);
    assert.deepEqual(await rt.networks('dbaas.tenant'), [
      { id: 'free', name: 'dbaas-t-free', containers: 0 },
      { id: 'used', name: 'dbaas-t-used', containers: 1 },
      { id: 'standby', name: 'dbaas-t-standby', containers: 1 },
      { id: 'gone', name: 'dbaas-t-gone', containers: 0 },
    ]);
    assert.deepEqual(
      [
        await rt.removeUnusedNetwork('free'),
        await rt.removeUnusedNetwork('used'),
        await rt.removeUnusedNetwork('gone'),
      ],
      [true, false, false],
    );
    assert.deepEqual(removed, ['free']);
  });

  test('Docker’s address pools full: the unused networks of the label go, and the network is made once more', async () => {
    const full = (err = true) => {
      const f = fakeDocker();
      const events: string[] = [];
      let exhausted = true;
      const docker = Object.assign(Object.create(f.docker as object), {
        createNetwork: async (o: Record<string, unknown>) => {
          events.push('create');
          if (exhausted)
            throw Object.assign(
              new Error('could not find an available, non-overlapping IPv4 address pool among the defaults'),
              { statusCode: 400 },
            );
          return (f.docker as unknown as { createNetwork: (o: unknown) => Promise<void> }).createNetwork(o);
        },
      }) as Docker;
      const rt = new DockerRuntime(docker);
      rt.networks = async (key: string) => {
        events.push(`list ${key}`);
        return [
          { id: 'idle', name: 'dbaas-t-idle', containers: 0 },
          { id: 'busy', name: 'dbaas-t-busy', containers: 2 },
        ];
      };
      rt.removeUnusedNetwork = async (id: string) => {
        events.push(`remove ${id}`);
        exhausted = false;
        return err;
      };
      return { rt, events };
    };
    const a = full();
    assert.equal(await a.rt.ensureNetwork('dbaas-t-x', { 'dbaas.tenant': 'x' }), 'dbaas-t-x');
    assert.deepEqual(a.events, ['create', 'list dbaas.tenant', 'remove idle', 'create']);
    // Nothing could be freed: Docker's error as it gave it.
    const b = full(false);
    await assert.rejects(b.rt.ensureNetwork('dbaas-t-y', { 'dbaas.tenant': 'y' }), /address pool/);
  });
});
