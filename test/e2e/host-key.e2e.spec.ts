import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HostEntity, StorageBackendEntity } from '../../libs/persistence/src/entities';
import { DockerHostConnector } from '../../libs/hosts/src/host-connector';
import { AUTH_ATTEMPT, TestSshd } from '../support/sshd';
import { Stack } from '../support/stack';

/** The connector's stores, in memory: the SSH side (sshd, keys, the client) is all real. */
function fakeStores() {
  const rows = new Map<string, any>();
  const events: any[] = [];
  const repo = {
    get: async (id: string) => (rows.has(id) ? { ...rows.get(id) } : null),
    getSealedKey: async (id: string) => rows.get(id)?.sealed ?? null,
    pinHostKey: async (id: string, fingerprint: string, firstContact: boolean) => {
      const r = rows.get(id);
      if (!r || (firstContact && r.hostKeyFingerprint)) return false;
      Object.assign(r, {
        hostKeyFingerprint: fingerprint,
        hostKeyPinnedBy: firstContact ? 'first-contact' : 'operator',
      });
      return true;
    },
  };
  const eventRepo = { record: async (e: any) => void events.push(e), list: async () => events };
  const secrets = { seal: (s: string) => s, open: (s: string) => s };
  const connector = new DockerHostConnector(
    { DOCKER_SOCKET: '/var/run/docker.sock' } as any,
    repo as any,
    repo as any,
    secrets as any,
    eventRepo as any,
  );
  return { rows, events, connector };
}

describe('SSH host keys pinned (real sshd on 127.0.0.1)', () => {
  const sshd = new TestSshd();
  let n = 0;
  const host = (stores: ReturnType<typeof fakeStores>, fingerprint: string | null): HostEntity => {
    const h = {
      id: `00000000-0000-4000-8000-00000000000${++n}`,
      name: `h${n}`,
      address: '127.0.0.1',
      sshAddress: null,
      connection: 'ssh',
      sshPort: sshd.port,
      sshUser: 'root',
      hostKeyFingerprint: fingerprint,
      hostKeyPinnedBy: fingerprint ? 'operator' : null,
      sealed: sshd.clientKey,
    };
    stores.rows.set(h.id, h);
    return h as unknown as HostEntity;
  };
  const run = async (stores: ReturnType<typeof fakeStores>, h: HostEntity) => {
    await stores.connector.reset(h);
    const exec = await stores.connector.executor((await stores.rows.get(h.id)) as HostEntity);
    return exec.run(['echo', 'hello']);
  };

  before(() => sshd.start('a'));
  after(() => sshd.destroy());

  test('pinned key: the real host runs commands; an impostor on its address is refused before any auth', async () => {
    const stores = fakeStores();
    await sshd.restart('a');
    const h = host(stores, sshd.fingerprints.a);
    assert.equal((await run(stores, h)).stdout.trim(), 'hello');
    assert.match(
      sshd.logText,
      /Accepted publickey for root/,
      'the log shows authentications (so their absence counts)',
    );

    await sshd.restart('b');
    await assert.rejects(run(stores, h), (err: Error) => {
      assert.match(err.message, /host key mismatch/);
      assert.ok(err.message.includes(sshd.fingerprints.a), `names the expected key: ${err.message}`);
      assert.ok(err.message.includes(sshd.fingerprints.b), `names the presented key: ${err.message}`);
      return true;
    });
    assert.match(sshd.logText, /Connection from 127\.0\.0\.1/, 'the impostor was contacted');
    const attempts = sshd.logText.split('\n').filter((l) => AUTH_ATTEMPT.test(l));
    assert.deepEqual(attempts, [], 'the impostor saw no authentication attempt');
    const ev = stores.events.filter((e) => e.type === 'host.key-mismatch');
    assert.equal(ev.length, 1, JSON.stringify(stores.events));
    assert.equal(ev[0].hostId, h.id);
    assert.deepEqual([ev[0].data.expected, ev[0].data.presented], [sshd.fingerprints.a, sshd.fingerprints.b]);
    assert.equal(stores.rows.get(h.id).hostKeyFingerprint, sshd.fingerprints.a, 'the pin is unchanged');
  });

  test('no key given: the first contact records it; a later impostor is refused', async () => {
    const stores = fakeStores();
    await sshd.restart('a');
    const h = host(stores, null);
    assert.equal((await run(stores, h)).stdout.trim(), 'hello');
    assert.equal(stores.rows.get(h.id).hostKeyFingerprint, sshd.fingerprints.a);
    assert.equal(stores.rows.get(h.id).hostKeyPinnedBy, 'first-contact');
    assert.ok(stores.events.some((e) => e.type === 'host.key-recorded' && e.data.fingerprint === sshd.fingerprints.a));

    await sshd.restart('b');
    await assert.rejects(run(stores, h), new RegExp(`expected ${sshd.fingerprints.a.replace(/[+/]/g, '\\$&')}`));
    assert.deepEqual(
      sshd.logText.split('\n').filter((l) => AUTH_ATTEMPT.test(l)),
      [],
    );
    assert.equal(stores.rows.get(h.id).hostKeyFingerprint, sshd.fingerprints.a);
  });

  test('storage backends: same check', async () => {
    const stores = fakeStores();
    await sshd.restart('b');
    const b = {
      id: '00000000-0000-4000-8000-0000000000b1',
      name: 'san',
      sshAddress: '127.0.0.1',
      sshPort: sshd.port,
      sshUser: 'root',
      hostKeyFingerprint: sshd.fingerprints.a,
      hostKeyPinnedBy: 'operator',
      sealed: sshd.clientKey,
    };
    stores.rows.set(b.id, b);
    const exec = await stores.connector.storageExecutor(b as unknown as StorageBackendEntity);
    await assert.rejects(exec.run(['echo', 'hello']), /host key mismatch for san: expected SHA256:/);
    assert.deepEqual(
      sshd.logText.split('\n').filter((l) => AUTH_ATTEMPT.test(l)),
      [],
    );
    const ev = stores.events.find((e) => e.type === 'host.key-mismatch');
    assert.equal(ev?.data.storageBackendId, b.id);
    await stores.connector.onApplicationShutdown();
  });
});

describe('SSH host keys through the admin API (real stack, real sshd)', () => {
  const sshd = new TestSshd();
  const stack = new Stack({ name: 'host-key', worker: { FAILOVER_PROBE_INTERVAL_MS: '300' } });
  const op = (body?: unknown) => ({ key: stack.operatorKey, body });
  const until = async <T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const register = (name: string, extra: Record<string, unknown>) =>
    stack.request(
      'POST',
      '/admin/v1/hosts',
      op({
        name,
        address: '127.0.0.1',
        sshPort: sshd.port,
        sshPrivateKey: sshd.clientKey,
        capacity: { cpus: 1, memoryMb: 1024, diskGb: 10 },
        ...extra,
      }),
    );

  before(async () => {
    await sshd.start('a');
    await stack.start();
  });
  after(async () => {
    await stack.stop();
    await sshd.destroy();
  });

  test('a fingerprint that is not an OpenSSH SHA256 one: 400, nothing registered', async () => {
    const res = await register('bad-key', { hostKeyFingerprint: 'MD5:9d:2f:61' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /hostKeyFingerprint must be an OpenSSH SHA256 fingerprint/);
    const hosts = (await stack.request('GET', '/admin/v1/hosts', op())).body;
    assert.ok(!hosts.some((h: any) => h.name === 'bad-key'));
  });

  test('another key at the address than the one registered: refused, no auth sent, event and metric', async () => {
    // The operator registered the real host's key (b); the server answering at its address has key a.
    const res = await register('pinned', { hostKeyFingerprint: `${sshd.fingerprints.b}=` });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.hostKeyFingerprint, sshd.fingerprints.b, 'stored in canonical form');
    assert.equal(res.body.hostKeyPinnedBy, 'operator');
    const id = res.body.id;
    // The worker's health checks connect to it.
    const [ev] = await until('a host.key-mismatch event', async () => {
      const r = await stack.request('GET', `/admin/v1/events?type=host.key-mismatch&hostId=${id}`, op());
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.length > 0 && r.body;
    });
    assert.deepEqual([ev.data.expected, ev.data.presented], [sshd.fingerprints.b, sshd.fingerprints.a]);
    assert.ok(ev.message.includes(sshd.fingerprints.a) && ev.message.includes(sshd.fingerprints.b), ev.message);
    const health = await until('a Docker check', async () => {
      const h = (await stack.request('GET', `/admin/v1/hosts/${id}`, op())).body;
      return h.health?.docker === false && h;
    });
    assert.equal(health.hostKeyFingerprint, sshd.fingerprints.b, 'the pin is unchanged');
    assert.match(sshd.logText, /Connection from 127\.0\.0\.1/, 'the impostor was contacted');
    assert.deepEqual(
      sshd.logText.split('\n').filter((l) => AUTH_ATTEMPT.test(l)),
      [],
      'no authentication attempt',
    );
    const metrics = (await stack.request('GET', '/metrics')).body as string;
    const n = Number(/^dbaas_host_key_mismatches_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(n >= 1, `dbaas_host_key_mismatches_total: ${n}`);
  });

  test('no fingerprint given: recorded on first contact, shown, then confirmed by the operator (audited)', async () => {
    const res = await register('tofu', {});
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.hostKeyFingerprint, null);
    const id = res.body.id;
    const seen = await until('the key recorded on first contact', async () => {
      const h = (await stack.request('GET', `/admin/v1/hosts/${id}`, op())).body;
      return h.hostKeyFingerprint && h;
    });
    assert.equal(seen.hostKeyFingerprint, sshd.fingerprints.a);
    assert.equal(seen.hostKeyPinnedBy, 'first-contact');
    const recorded = (await stack.request('GET', `/admin/v1/events?type=host.key-recorded&hostId=${id}`, op())).body;
    assert.equal(recorded.length, 1);

    const bad = await stack.request('PUT', `/admin/v1/hosts/${id}/host-key`, op({ hostKeyFingerprint: 'nope' }));
    assert.equal(bad.status, 400);
    const ok = await stack.request(
      'PUT',
      `/admin/v1/hosts/${id}/host-key`,
      op({ hostKeyFingerprint: sshd.fingerprints.a }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.hostKeyPinnedBy, 'operator');
    assert.equal(ok.body.hostKeyFingerprint, sshd.fingerprints.a);
    await new Promise((r) => setTimeout(r, 300));
    const audit = (await stack.request('GET', `/admin/v1/audit?target=${id}`, op())).body;
    const puts = audit.filter((a: any) => a.action === 'PUT /admin/v1/hosts/:id/host-key');
    assert.deepEqual(
      puts.map((a: any) => a.statusCode),
      [200, 400],
      JSON.stringify(audit),
    );
  });

  test('storage backends: the fingerprint at registration is validated, and confirmed or replaced later', async () => {
    const backend = {
      name: 'san-keyed',
      portalAddress: '127.0.0.1',
      sshAddress: '127.0.0.1',
      sshPort: sshd.port,
      sshPrivateKey: sshd.clientKey,
      volumeGroup: 'vg0',
    };
    const bad = await stack.request('POST', '/admin/v1/storage-backends', op({ ...backend, hostKeyFingerprint: 'x' }));
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const res = await stack.request('POST', '/admin/v1/storage-backends', op(backend));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual([res.body.hostKeyFingerprint, res.body.hostKeyPinnedBy], [null, null]);
    const put = await stack.request(
      'PUT',
      `/admin/v1/storage-backends/${res.body.id}/host-key`,
      op({ hostKeyFingerprint: sshd.fingerprints.b }),
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = (await stack.request('GET', `/admin/v1/storage-backends/${res.body.id}`, op())).body;
    assert.deepEqual([got.hostKeyFingerprint, got.hostKeyPinnedBy], [sshd.fingerprints.b, 'operator']);
  });
});
