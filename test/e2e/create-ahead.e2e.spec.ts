import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { stageHost } from '@app/domain/databases/runtime/host-preparation';
import type { ContainerSpec } from '@app/domain/ports';
import { DockerRuntime, holderName } from '@app/hosts/docker/docker-runtime';
import { DockerStatsReader } from '@app/hosts/docker/container-stats';
import { LocalExecutor } from '@app/hosts/executors/local-executor';

/**
 * A takeover creates the database's container while the storage is taken over (issue 17, point 3): the host helper
 * stages it (a guard under the mount point, the secrets) and `docker create` binds where the volume will be mounted.
 * Against the real dockerd, the shipped helper and real mounts: started without its volume, the container fails and
 * nothing is written on the host's disk (never an empty database); once the volume is mounted, it starts on its data.
 */
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const name = `dbaas-ahead-${randomBytes(4).toString('hex')}`;
const root = mkdtempSync('/tmp/dbaas-ahead-');
chmodSync(root, 0o755);
const mount = join(root, 'vol');
const volume = join(root, 'volume-fs');
const isMounted = () => {
  try {
    execFileSync('mountpoint', ['-q', mount]);
    return true;
  } catch {
    return false;
  }
};

after(async () => {
  for (const c of [name, `${name}-ha`, holderName(`${name}-ha`)])
    await docker
      .getContainer(c)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    .getNetwork(`${name}-tn`)
    .remove()
    .catch(() => undefined);
  if (isMounted()) execFileSync('umount', [mount]);
  rmSync(root, { recursive: true, force: true });
});

/** Redis's answer to PING on a published port: what a tenant's client would reach. */
function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
    sock.setTimeout(3000, () => sock.destroy(new Error('no answer in 3 s')));
    sock.once('data', (d) => {
      resolve(d.toString().trim());
      sock.end();
    });
    sock.once('error', reject);
    // Docker's proxy accepts, then closes when nothing listens behind it.
    sock.once('close', () => reject(new Error('closed without an answer')));
  });
}

async function untilPing(port: number): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      return await redisPing(port);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

/** The network namespace of a process on this host. */
const netnsOf = (pid: number) =>
  execFileSync('readlink', [`/proc/${pid}/ns/net`])
    .toString()
    .trim();

/** Docker's `network connect` events for a container between two instants (seconds). */
async function networkConnects(containerId: string, since: number, until: number): Promise<number> {
  const raw = (await docker.getEvents({
    since,
    until,
    filters: { type: ['network'], event: ['connect'] },
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of raw) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Actor?: { Attributes?: { container?: string } } })
    .filter((e) => e.Actor?.Attributes?.container === containerId).length;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('a container created before its volume is mounted', () => {
  test('without its volume it does not start; with it, it starts on the volume', async () => {
    // The volume's filesystem, as a takeover finds it: the data directory of the engine's user, with its data.
    mkdirSync(join(volume, 'data'), { recursive: true });
    writeFileSync(join(volume, 'data', 'marker'), 'the-volume-data\n');
    execFileSync('chown', ['-R', '999:999', volume]);
    const exec = new LocalExecutor();
    const secrets = { root: join(root, 'secrets'), dir: join(root, 'secrets', 'db'), uid: 999, gid: 999 };
    const staged = await stageHost(exec, mount, { ...secrets, files: { tenant_password: 'S3cret-ahead' } });
    assert.equal(staged?.hostPath, `${mount}/data`);
    assert.equal(staged?.mount, 'guarded');
    const guard = lstatSync(join(mount, 'data'));
    assert.ok(guard.isFile() && guard.size === 0 && (guard.mode & 0o777) === 0 && guard.uid === 0);

    const runtime = new DockerRuntime(docker);
    const spec: ContainerSpec = {
      name,
      // An engine image the test set-up (scripts/images) put in the local registry; its VOLUME is /data.
      image: '127.0.0.1:5000/library/redis:7.0',
      env: {},
      cmd: ['sh', '-c', 'cat /data/marker && ls /run/dbaas && exec sleep 120'],
      labels: { 'dbaas.test': 'create-ahead' },
      containerPort: 6379,
      hostIp: '127.0.0.1',
      hostPort: await freePort(),
      binds: [
        { hostPath: staged!.hostPath, containerPath: '/data' },
        { hostPath: secrets.dir, containerPath: '/run/dbaas', readOnly: true },
      ],
      cpus: 0.5,
      memoryMb: 128,
      user: '999:999',
      readOnlyRoot: true,
      restartPolicy: 'no',
    };
    assert.equal(await runtime.ensureCreated(spec), 'created');
    assert.equal(await runtime.ensureCreated(spec), 'present', 'made once');

    // The volume is not there yet: the guard (a file) cannot be mounted on the image's data directory.
    await assert.rejects(runtime.ensureRunning(spec), /not a directory/i);
    assert.equal((await runtime.inspect(name))?.running, false);
    assert.deepEqual(readdirSync(mount), ['data'], 'nothing written beside the guard');
    assert.equal(lstatSync(join(mount, 'data')).size, 0, 'nothing written into the guard');

    // The storage takeover mounts the volume over the guard; the same container then starts on the volume's data.
    execFileSync('mount', ['--bind', volume, mount]);
    const state = await runtime.ensureRunning(spec);
    assert.equal(state.running, true);
    assert.equal(state.created, false, 'the container made ahead is the one started');
    let logs: string[] = [];
    for (let i = 0; i < 50 && !logs.includes('tenant_password'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = await runtime.logs(name, 10);
    }
    assert.deepEqual(logs.slice(0, 2), ['the-volume-data', 'tenant_password']);

    // Staged again while the volume is mounted (a retried takeover): nothing is laid on the volume.
    assert.equal((await stageHost(exec, mount, null))?.mount, 'mounted');
    assert.deepEqual(readdirSync(mount).sort(), ['data']);
    assert.ok(lstatSync(join(mount, 'data')).isDirectory());
  });

  test('a tenant network whose only container is a standby (created, never started) counts it: it is not swept', async () => {
    const net = `${name}-net`;
    const label = `dbaas.test.${randomBytes(3).toString('hex')}`;
    const runtime = new DockerRuntime(docker);
    const standby = `${name}-standby`;
    try {
      await runtime.ensureNetwork(net, { [label]: 'x' });
      await docker.createContainer({
        name: standby,
        Image: '127.0.0.1:5000/library/redis:7.0',
        HostConfig: { NetworkMode: net },
      });
      const [n] = await runtime.networks(label);
      assert.equal(n?.containers, 1, 'the created container is bound to it');
      await docker.getContainer(standby).remove({ force: true });
      assert.equal((await runtime.networks(label))[0]?.containers, 0);
    } finally {
      await docker
        .getContainer(standby)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getNetwork(net)
        .remove()
        .catch(() => undefined);
    }
  });

  test('an HA container made ahead joins the network its holder keeps up: its start sets no network up', async () => {
    const runtime = new DockerRuntime(docker);
    const port = await freePort();
    const spec: ContainerSpec = {
      name: `${name}-ha`,
      image: '127.0.0.1:5000/library/redis:7.0',
      env: {},
      cmd: ['redis-server', '--save', '', '--appendonly', 'no'],
      labels: { 'dbaas.tenant': 'create-ahead' },
      containerPort: 6379,
      hostIp: '127.0.0.1',
      hostPort: port,
      binds: [],
      cpus: 0.5,
      memoryMb: 128,
      user: '999:999',
      readOnlyRoot: true,
      restartPolicy: 'no',
      network: `${name}-tn`,
      netHolder: true,
    };
    // The standby: the database's container created, its network's holder running with the published port.
    assert.equal(await runtime.ensureCreated(spec), 'created');
    assert.equal(await runtime.ensureCreated(spec), 'present', 'made once');
    assert.equal((await runtime.inspect(spec.name))?.running, false, 'the engine is not started ahead');

    // The takeover's start: Docker connects no network for it (the holder's endpoint is the one used).
    const since = Math.floor(Date.now() / 1000) - 1;
    const state = await runtime.ensureRunning(spec);
    assert.equal(state.running, true);
    assert.equal(state.created, false);
    assert.equal(await networkConnects(state.id, since, Math.ceil(Date.now() / 1000) + 1), 0, 'no network set up');
    const holder = await runtime.inspect(holderName(spec.name));
    assert.equal(holder?.running, true, 'the holder runs ahead');
    assert.equal(netnsOf(state.pid), netnsOf(holder!.pid), "the engine runs in the holder's network namespace");
    assert.equal(await untilPing(port), '+PONG', 'reached through the port the holder publishes');
    const info = await docker.getContainer(spec.name).inspect();
    assert.equal(info.HostConfig.NetworkMode, `container:${holder!.id}`);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks ?? {}), [], 'no endpoint of its own');
    // Its traffic is still counted: the engine reports the shared namespace's counters for the joined container.
    const stats = await new DockerStatsReader(docker).read(spec.name);
    assert.ok(stats && stats.netRxBytes > 0 && stats.netTxBytes > 0, JSON.stringify(stats));
    const [bound] = (await runtime.networks('dbaas.tenant')).filter((n) => n.name === spec.network);
    assert.equal(bound?.containers, 1, 'the holder keeps the tenant network in use');

    // The holder dies under the running engine (its published port with it): the next ensureRunning starts it
    // again and the engine in its new namespace.
    await docker.getContainer(holderName(spec.name)).kill();
    const again = await runtime.ensureRunning(spec);
    const holderNow = await runtime.inspect(holderName(spec.name));
    assert.equal(holderNow?.running, true);
    assert.equal(netnsOf(again.pid), netnsOf(holderNow!.pid));
    assert.equal(await untilPing(port), '+PONG');

    // Published elsewhere (a new port): a new holder, and the engine made again to join it (Docker keeps the
    // holder's id, not its name).
    const moved = { ...spec, hostPort: await freePort() };
    const remade = await runtime.ensureRunning(moved);
    assert.equal(remade.created, true);
    const newHolder = await runtime.inspect(holderName(spec.name));
    assert.notEqual(newHolder?.id, holderNow?.id);
    assert.equal(netnsOf(remade.pid), netnsOf(newHolder!.pid));
    assert.equal(await untilPing(moved.hostPort), '+PONG');
    await assert.rejects(redisPing(port), 'the old port is not published any more');

    // Removed together; the tenant network is then free to be swept.
    assert.equal(await runtime.remove(spec.name), true);
    assert.equal(await runtime.inspect(spec.name), null);
    assert.equal(await runtime.inspect(holderName(spec.name)), null);
    assert.equal(await runtime.remove(spec.name), false, 'nothing left');
    assert.equal((await runtime.networks('dbaas.tenant')).find((n) => n.name === spec.network)?.containers, 0);
  });

  test('a directory of the host below an unmounted mount point is refused: nothing is made ahead on it', async () => {
    const other = join(root, 'vol2');
    mkdirSync(join(other, 'data'), { recursive: true });
    await assert.rejects(stageHost(new LocalExecutor(), other, null), /not mounted and its data path exists/);
  });
});
