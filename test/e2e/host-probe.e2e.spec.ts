import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerHostConnector } from '@app/hosts';
import type { HostEntity } from '@app/persistence/entities';
import { TestSshd } from '../support/sshd';

/**
 * The failover monitor probes every host each second. A banner probe is a new TCP connection: the host's sshd
 * forks (and re-execs) itself for it, ~0.2 s of CPU on a small VM, every second, taken from the databases starting
 * there. Through the session already open the probe is an SSH keepalive, answered by that session's own process.
 * A real sshd: its log says which connections it accepted.
 */
const connections = (sshd: TestSshd) => (sshd.logText.match(/Connection from /g) ?? []).length;

describe("host liveness probes ride on the host's open SSH session", () => {
  let sshd: TestSshd;
  let connector: DockerHostConnector;
  let host: HostEntity;

  before(async () => {
    sshd = await TestSshd.create();
    host = {
      id: 'h1',
      name: 'h1',
      connection: 'ssh',
      address: '127.0.0.1',
      sshAddress: null,
      sshPort: sshd.port,
      sshUser: sshd.username,
      hostKeyFingerprint: null,
    } as unknown as HostEntity;
    const hosts = {
      getSealedKey: async () => sshd.clientKey,
      get: async () => host,
      pinHostKey: async () => true,
    };
    connector = new DockerHostConnector(
      { DOCKER_SOCKET: '/var/run/docker.sock' } as never,
      hosts as never,
      {} as never,
      { open: (s: string) => s } as never,
      { record: async () => undefined } as never,
    );
  });

  after(async () => {
    await connector?.onApplicationShutdown();
    await sshd?.destroy();
  });

  test('with a session open, ten probes make no connection to the host', async () => {
    const r = await (await connector.executor(host)).run(['true']);
    assert.equal(r.exitCode, 0);
    const before = connections(sshd);
    assert.ok(before >= 1, sshd.logText.slice(-500));
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) await connector.probe(host, 500, 5000, { viaSession: true });
    console.log(`# 10 probes over the session in ${Date.now() - t0} ms`);
    assert.equal(connections(sshd), before, 'no new connection: the session answered');
  });

  test('without viaSession (a suspect host) the banner decides: one connection per probe, no authentication', async () => {
    const before = connections(sshd);
    await connector.probe(host, 500, 5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(connections(sshd), before + 1);
  });

  test('a session that stopped answering: the banner decides, asked after a short grace', async () => {
    const frozen = sshd.freezeSessions();
    try {
      const before = connections(sshd);
      const t0 = Date.now();
      await connector.probe(host, 500, 5000, { viaSession: true });
      const ms = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(connections(sshd), before + 1, 'the listener was asked');
      assert.ok(ms >= 180 && ms < 1500, `answered by the banner, asked after the session's grace: ${ms} ms`);
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGKILL');
    }
  });

  test('sshd gone: the probe fails at once, session or not', async () => {
    // A fresh session on the restarted server, then the server killed with it.
    await connector.reset(host);
    assert.equal((await (await connector.executor(host)).run(['true'])).exitCode, 0);
    await sshd.kill();
    const t0 = Date.now();
    await assert.rejects(connector.probe(host, 500, 5000, { viaSession: true }), /ECONNREFUSED/);
    assert.ok(Date.now() - t0 < 1000, `failed in ${Date.now() - t0} ms`);
    await sshd.start();
  });
});
