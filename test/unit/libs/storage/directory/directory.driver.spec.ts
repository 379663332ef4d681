import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import type { CommandExecutor, CommandResult, ContainerRuntime, HostConnector, RunOptions } from '@app/domain/ports';
import {
  DirectoryStorageDriver,
  enforcesProjectQuota,
  hardLimitKb,
  parseProject,
} from '@app/storage/directory/directory.driver';
import { directoryPath } from '@app/storage/host/paths';

const VOL_ID = '0b9d2c7e-4f1a-4c3b-8d2e-6f7a8b9c0d1e';
const host = (dataRoot = '/var/lib/dbaas/volumes') => ({ id: 'h1', name: 'local', dataRoot }) as HostEntity;
const volume = (id = VOL_ID) => ({ id }) as VolumeEntity;

/** An executor that records every argv and answers with a scripted result. */
class RecordingExecutor implements CommandExecutor {
  readonly calls: { argv: string[]; opts?: RunOptions }[] = [];
  constructor(private readonly result: CommandResult = { exitCode: 0, stdout: '', stderr: '' }) {}
  async spawn(): Promise<never> {
    throw new Error('not supported');
  }

  async run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    this.calls.push({ argv: [...argv], opts });
    return this.result;
  }
}

class FakeConnector implements HostConnector {
  readonly hostsAsked: HostEntity[] = [];
  constructor(readonly exec: RecordingExecutor) {}
  async runtime(): Promise<ContainerRuntime> {
    throw new Error('the directory driver must not need a container runtime');
  }
  controlPlane(): CommandExecutor {
    throw new Error('not used');
  }
  async executor(h: HostEntity): Promise<CommandExecutor> {
    this.hostsAsked.push(h);
    return this.exec;
  }
  async endpoint(): Promise<never> {
    throw new Error('the directory driver must not need an endpoint');
  }
  async storageExecutor(): Promise<CommandExecutor> {
    throw new Error('the directory driver must not need a storage server');
  }
  async vips(): Promise<never> {
    throw new Error('the directory driver must not need VIPs');
  }
  async reset(): Promise<void> {}
  async stats(): Promise<never> {
    throw new Error('not used here');
  }
  async probe(): Promise<void> {}
  async witnessProbe(): Promise<boolean> {
    return true;
  }
}

function driverWith(result?: CommandResult) {
  const exec = new RecordingExecutor(result);
  const connector = new FakeConnector(exec);
  return { driver: new DirectoryStorageDriver(connector), exec, connector };
}

describe('directoryPath', () => {
  test('is <dataRoot>/<volume id>, without a doubled slash', () => {
    assert.equal(directoryPath(host(), volume()), `/var/lib/dbaas/volumes/${VOL_ID}`);
    assert.equal(directoryPath(host('/srv/data/'), volume()), `/srv/data/${VOL_ID}`);
    assert.equal(directoryPath(host('/srv/data//'), volume()), `/srv/data/${VOL_ID}`);
  });

  test('rejects volume ids that are not lowercase uuids', () => {
    for (const id of ['../../etc', 'abc', `${VOL_ID}/..`, VOL_ID.toUpperCase(), `${VOL_ID} `, '', `x${VOL_ID}`]) {
      assert.throws(() => directoryPath(host(), volume(id)), /not a uuid/, JSON.stringify(id));
    }
  });

  test('rejects unsafe data roots', () => {
    for (const root of [
      '/var/lib/../../etc',
      '/var/..',
      '..',
      'relative/path',
      'var/lib/dbaas',
      '/var/lib/my volumes',
      '/var/lib/x;reboot',
      '/var/lib/$(id)',
      '/var/lib/`id`',
      '/var/lib/a\nb',
      '',
      '/',
    ]) {
      assert.throws(() => directoryPath(host(root), volume()), /unsafe data root/, JSON.stringify(root));
    }
  });

  test('accepts roots with dots that are not a parent reference', () => {
    assert.equal(directoryPath(host('/mnt/data.v2/..x'), volume()), `/mnt/data.v2/..x/${VOL_ID}`);
  });
});

describe('DirectoryStorageDriver', () => {
  test('is named "directory"', () => {
    assert.equal(driverWith().driver.name, 'directory');
  });

  test('ensure runs install -d -m 0755 -- <path> on the volume host (a mode of its own, not the umask) and returns the path', async () => {
    const { driver, exec, connector } = driverWith();
    const h = host();
    const res = await driver.ensure(h, volume());
    // No findmnt answer here: no project quota, the size is measured.
    assert.deepEqual(res, { hostPath: `/var/lib/dbaas/volumes/${VOL_ID}`, sizeHeldBy: 'measured' });
    assert.deepEqual(exec.calls[0].argv, ['install', '-d', '-m', '0755', '--', `/var/lib/dbaas/volumes/${VOL_ID}`]);
    assert.equal(exec.calls[0].opts?.timeoutMs, 120_000);
    assert.equal(connector.hostsAsked[0], h);
  });

  test('remove runs rm -rf --one-file-system -- <path>', async () => {
    const { driver, exec } = driverWith();
    await driver.remove(host(), volume());
    assert.deepEqual(
      exec.calls.map((c) => c.argv),
      [['rm', '-rf', '--one-file-system', '--', `/var/lib/dbaas/volumes/${VOL_ID}`]],
    );
  });

  test('usage runs du -sb -- <path> and parses the byte count', async () => {
    const { driver, exec } = driverWith({
      exitCode: 0,
      stdout: `123456789\t/var/lib/dbaas/volumes/${VOL_ID}\n`,
      stderr: '',
    });
    assert.deepEqual(await driver.usage(host(), volume()), { usedBytes: 123456789 });
    assert.deepEqual(
      exec.calls.map((c) => c.argv),
      [['du', '-sb', '--', `/var/lib/dbaas/volumes/${VOL_ID}`]],
    );
  });

  test('usage reports 0 when du prints nothing numeric', async () => {
    const { driver } = driverWith({ exitCode: 0, stdout: 'garbage', stderr: '' });
    assert.deepEqual(await driver.usage(host(), volume()), { usedBytes: 0 });
  });

  test('a non-zero exit raises an error with the command, exit code and first stderr line', async () => {
    const failing = {
      exitCode: 1,
      stdout: '',
      stderr: 'install: cannot create directory: Permission denied\nmore detail',
    };
    const { driver } = driverWith(failing);
    await assert.rejects(driver.ensure(host(), volume()), (err: Error) => {
      assert.equal(err.message, 'install exited with 1: install: cannot create directory: Permission denied');
      return true;
    });
    await assert.rejects(
      driverWith({ ...failing, exitCode: 2 }).driver.remove(host(), volume()),
      /^Error: rm exited with 2/,
    );
    await assert.rejects(driverWith({ ...failing, exitCode: 1 }).driver.usage(host(), volume()), /du exited with 1/);
  });

  test('an unsafe path is refused before anything runs on the host', async () => {
    const { driver, exec } = driverWith();
    await assert.rejects(driver.ensure(host('/data/../etc'), volume()), /unsafe data root/);
    await assert.rejects(driver.remove(host(), volume('../../')), /not a uuid/);
    assert.equal(exec.calls.length, 0);
  });
});

/** An executor answering each program by name (findmnt, lsattr...), recording every argv. */
class ScriptedExecutor extends RecordingExecutor {
  constructor(private readonly answers: Record<string, CommandResult>) {
    super();
  }
  override async run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    await super.run(argv, opts);
    return this.answers[argv[0]] ?? { exitCode: 0, stdout: '', stderr: '' };
  }
}

const mount = (fstype: string, options: string) => ({
  exitCode: 0,
  stdout: JSON.stringify({ filesystems: [{ target: '/var/lib/dbaas', fstype, options }] }),
  stderr: '',
});

describe('DirectoryStorageDriver: the size held by a project quota', () => {
  const vol = (quotaProject: number, sizeGb = 1) => ({ id: VOL_ID, quotaProject, sizeGb }) as VolumeEntity;
  const path = `/var/lib/dbaas/volumes/${VOL_ID}`;

  test('which mounts enforce project quotas', () => {
    assert.equal(enforcesProjectQuota('xfs', 'rw,relatime,attr2,inode64,prjquota'), true);
    assert.equal(enforcesProjectQuota('xfs', 'rw,pquota'), true);
    assert.equal(enforcesProjectQuota('xfs', 'rw,pqnoenforce'), false, 'accounting only');
    assert.equal(enforcesProjectQuota('ext4', 'rw,relatime,prjquota'), true);
    assert.equal(enforcesProjectQuota('ext4', 'rw,relatime,discard'), false);
    assert.equal(enforcesProjectQuota('tmpfs', 'rw,prjquota'), false);
    assert.equal(parseProject(`  100042 --------------P--- ${path}\n`), 100042);
    assert.equal(parseProject('lsattr: Operation not supported'), null);
  });

  test('the hard limit leaves the engine room above the plan: 10 %, at least 64 MiB', () => {
    assert.equal(hardLimitKb(1), 1_153_434); // 1 GiB + 102.4 MiB, in KiB
    assert.equal(hardLimitKb(100), 115_343_360);
  });

  test('a data root without project quotas: measured, nothing else runs', async () => {
    const exec = new ScriptedExecutor({ findmnt: mount('ext4', 'rw,relatime') });
    const driver = new DirectoryStorageDriver(new FakeConnector(exec));
    assert.equal(await driver.holdSize(host(), vol(100042)), 'measured');
    assert.deepEqual(
      exec.calls.map((c) => c.argv[0]),
      ['findmnt'],
    );
  });

  test('XFS with prjquota: the tree gets its project (dirs inherit it), then its limit, each value its own argv', async () => {
    const exec = new ScriptedExecutor({
      findmnt: mount('xfs', 'rw,prjquota'),
      lsattr: { exitCode: 0, stdout: `       0 ------------------ ${path}\n`, stderr: '' },
    });
    const driver = new DirectoryStorageDriver(new FakeConnector(exec));
    assert.equal(await driver.holdSize(host(), vol(100042, 2)), 'filesystem');
    assert.deepEqual(
      exec.calls.map((c) => c.argv),
      [
        ['findmnt', '-n', '-J', '-o', 'TARGET,FSTYPE,OPTIONS', '--target', path],
        ['lsattr', '-pd', '--', path],
        ['find', path, '-xdev', '-type', 'd', '-exec', 'chattr', '+P', '-p', '100042', '{}', '+'],
        ['find', path, '-xdev', '-type', 'f', '-exec', 'chattr', '-p', '100042', '{}', '+'],
        ['setquota', '-P', '100042', '0', String(hardLimitKb(2)), '0', '0', '/var/lib/dbaas'],
      ],
    );
  });

  test('once the project is set, a round only sets the limit again (a resize grows it)', async () => {
    const exec = new ScriptedExecutor({
      findmnt: mount('ext4', 'rw,prjquota'),
      lsattr: { exitCode: 0, stdout: `  100042 --------------P--- ${path}\n`, stderr: '' },
    });
    const driver = new DirectoryStorageDriver(new FakeConnector(exec));
    await driver.grow(host(), vol(100042, 1), 4);
    assert.deepEqual(
      exec.calls.map((c) => c.argv[0]),
      ['findmnt', 'lsattr', 'setquota'],
    );
    assert.equal(exec.calls[2].argv[4], String(hardLimitKb(4)));
  });

  test('no setquota on the host: measured (and logged), the volume is still made', async () => {
    const exec = new ScriptedExecutor({
      findmnt: mount('xfs', 'rw,prjquota'),
      lsattr: { exitCode: 0, stdout: `  100042 --------------P--- ${path}\n`, stderr: '' },
      setquota: { exitCode: 127, stdout: '', stderr: 'setquota: not found' },
    });
    const driver = new DirectoryStorageDriver(new FakeConnector(exec));
    assert.deepEqual(await driver.ensure(host(), vol(100042)), { hostPath: path, sizeHeldBy: 'measured' });
  });

  test('a project id out of range is refused before anything changes', async () => {
    const exec = new ScriptedExecutor({ findmnt: mount('xfs', 'rw,prjquota') });
    const driver = new DirectoryStorageDriver(new FakeConnector(exec));
    await assert.rejects(driver.holdSize(host(), vol(0)), /no valid project id/);
    await assert.rejects(driver.holdSize(host(), vol(2 ** 32)), /no valid project id/);
    assert.deepEqual(
      exec.calls.map((c) => c.argv[0]),
      ['findmnt', 'findmnt'],
    );
  });
});
