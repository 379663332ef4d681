import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HostEntity, StorageBackendEntity } from '../../libs/persistence/src/entities';
import { DockerHostConnector } from '../../libs/hosts/src/host-connector';
import { AUTH_ATTEMPT, TestSshd } from '../support/sshd';

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
