import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { DockerRuntime } from '@app/hosts/docker/docker-runtime';

/**
 * Two first databases of one tenant started at once on a host both make the tenant's network. Docker does not keep
 * network names unique (CheckDuplicate is a best effort): two networks of one name, and every container create on
 * that name then fails with "network … is ambiguous". Against the real dockerd.
 */
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const name = `dbaas-t-race-${randomBytes(4).toString('hex')}`;
const byName = async () => (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);

after(async () => {
  for (const c of await docker.listContainers({ all: true, filters: { name: [name] } }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await byName())
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
});

describe('the tenant network, made by several jobs at once', () => {
  test('one network in the end, and containers can be created on it', async () => {
    const runtimes = Array.from({ length: 6 }, () => new DockerRuntime(docker));
    await Promise.all(runtimes.map((r) => r.ensureNetwork(name, { 'dbaas.tenant': 'race' })));
    // Docker made one (or several) meanwhile: whatever it did, the next ensure leaves exactly one.
    await runtimes[0].ensureNetwork(name, { 'dbaas.tenant': 'race' });
    assert.equal((await byName()).length, 1, 'exactly one network of that name');
  });

  test('two networks of one name found (left by an older platform): the empty duplicates go', async () => {
    // Made the way a race makes them: two creates Docker did not refuse.
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
    const before = (await byName()).length;
    await new DockerRuntime(docker).ensureNetwork(name, { 'dbaas.tenant': 'race' });
    assert.ok(before >= 2 || before === 1, `${before}`);
    assert.equal((await byName()).length, 1, 'exactly one network of that name');
    const c = await docker.createContainer({
      name: `${name}-c`,
      // An engine image the test set-up (scripts/images) put in the local registry.
      Image: '127.0.0.1:5000/library/redis:7.0',
      HostConfig: { NetworkMode: name },
    });
    await docker.getContainer(c.id).remove({ force: true });
  });
});
