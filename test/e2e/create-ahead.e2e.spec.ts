import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { stageHost } from '@app/domain/databases/runtime/host-preparation';
import type { ContainerSpec } from '@app/domain/ports';
import { DockerRuntime } from '@app/hosts/docker/docker-runtime';
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
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  if (isMounted()) execFileSync('umount', [mount]);
  rmSync(root, { recursive: true, force: true });
});

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

  test('a directory of the host below an unmounted mount point is refused: nothing is made ahead on it', async () => {
    const other = join(root, 'vol2');
    mkdirSync(join(other, 'data'), { recursive: true });
    await assert.rejects(stageHost(new LocalExecutor(), other, null), /not mounted and its data path exists/);
  });
});
