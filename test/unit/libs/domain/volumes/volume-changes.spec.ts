import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import type { StorageDriver, StorageDrivers, VolumeChange, VolumeRecorder, VolumeRepository } from '@app/domain/ports';
import { RecordingStorageDrivers, VolumeChangeRecorder } from '@app/domain/volumes/volume-changes';
import { SanLvmStorageDriver } from '@app/storage/san-lvm/san-lvm.driver';
import { FakeExecutor, ok } from '../../../../support/fake-executor';
import { fixture } from '../../../support/san-fixtures';

// Drivers return what they changed about a volume; the domain records it, in one place, before the caller sees it.

const host = { id: 'h2', name: 'h2' } as HostEntity;
const volume = { id: 'v1', hostId: 'h1' } as VolumeEntity;

function recorder() {
  const recorded: [string, VolumeChange][] = [];
  const r: VolumeRecorder = {
    record: async (id, change) => void recorded.push([id, change]),
    recordSealedDrbdSecretIfNone: async () => assert.fail('no secret here'),
  };
  return { r, recorded };
}

/** A driver with a private field, to show its methods keep their own `this`. */
class FakeDriver implements StorageDriver {
  readonly name = 'fake';
  private readonly calls: string[] = [];
  constructor(private readonly out: { changed?: VolumeChange }) {}
  async ensure() {
    this.calls.push('ensure');
    return { hostPath: '/data/v1', ...this.out };
  }
  async remove() {
    this.calls.push('remove');
  }
  async usage() {
    return { usedBytes: this.calls.length };
  }
  async takeover(_t: HostEntity, _v: VolumeEntity, opts?: { released?: boolean }) {
    if (opts?.released === false) throw new Error('refused');
    return { hostPath: '/data/v1', changed: { hostId: 'h2', peerHostId: 'h1', mirrorState: 'degraded' as const } };
  }
}

const registry = (...drivers: StorageDriver[]): StorageDrivers => ({
  get: (name) => {
    const d = drivers.find((x) => x.name === name);
    if (!d) throw new Error(`unknown storage driver "${name}"`);
    return d;
  },
  names: () => drivers.map((d) => d.name),
});

describe('RecordingStorageDrivers: what a driver returns is recorded by the domain', () => {
  test('ensure: the change recorded on the volume, the result passed on', async () => {
    const { r, recorded } = recorder();
    const drivers = new RecordingStorageDrivers(registry(new FakeDriver({ changed: { device: '/dev/drbd3' } })), r);
    const out = await drivers.get('fake').ensure(host, volume);
    assert.deepEqual(out, { hostPath: '/data/v1', changed: { device: '/dev/drbd3' } });
    assert.deepEqual(recorded, [['v1', { device: '/dev/drbd3' }]]);
  });

  test('takeover: the move recorded; a refused takeover records nothing', async () => {
    const { r, recorded } = recorder();
    const d = new RecordingStorageDrivers(registry(new FakeDriver({})), r).get('fake');
    await d.takeover!(host, volume, { released: true });
    assert.deepEqual(recorded, [['v1', { hostId: 'h2', peerHostId: 'h1', mirrorState: 'degraded' }]]);
    await assert.rejects(d.takeover!(host, volume, { released: false }), /refused/);
    assert.equal(recorded.length, 1);
  });

  test('nothing changed: nothing recorded', async () => {
    const { r, recorded } = recorder();
    await new RecordingStorageDrivers(registry(new FakeDriver({})), r).get('fake').ensure(host, volume);
    assert.deepEqual(recorded, []);
  });

  test("every other method is the driver's own, with its own this; a method it lacks stays missing", async () => {
    const { r } = recorder();
    const drivers = new RecordingStorageDrivers(registry(new FakeDriver({}), { name: 'bare' } as StorageDriver), r);
    const d = drivers.get('fake');
    await d.ensure(host, volume);
    await d.remove(host, volume);
    assert.deepEqual(await d.usage(host, volume), { usedBytes: 2 });
    assert.equal(d.name, 'fake');
    assert.equal(d.grow, undefined);
    assert.equal(d.rejoin, undefined);
    assert.equal(drivers.get('bare').takeover, undefined);
    assert.equal(drivers.get('fake'), d, 'one wrapper per driver');
    assert.deepEqual(drivers.names(), ['fake', 'bare']);
    assert.throws(() => drivers.get('nope'), /unknown storage driver "nope"/);
  });
});

describe('VolumeChangeRecorder', () => {
  test('writes the fields that are set (an empty change writes nothing) and the first DRBD secret', async () => {
    const updates: [string, Partial<VolumeEntity>][] = [];
    const secrets: [string, string][] = [];
    const repo = {
      update: async (id: string, p: Partial<VolumeEntity>) => void updates.push([id, p]),
      setSealedDrbdSecretIfNone: async (id: string, s: string) => void secrets.push([id, s]),
    };
    const rec = new VolumeChangeRecorder(repo as unknown as VolumeRepository);
    await rec.record('v1', { device: '/dev/x', path: undefined, lunId: null });
    await rec.record('v1', {});
    await rec.record('v1', { path: undefined });
    assert.deepEqual(updates, [['v1', { device: '/dev/x', lunId: null }]]);
    await rec.recordSealedDrbdSecretIfNone('v1', 'sealed:x');
    assert.deepEqual(secrets, [['v1', 'sealed:x']]);
  });
});

describe('SanLvmStorageDriver.ensure returns its change instead of writing it', () => {
  const VID = '0b9d2c7e-4f1a-4c3b-8d2e-6f7a8b9c0d1e';
  const MNT = `/var/lib/dbaas/volumes/${VID}`;
  const DEV = `/dev/dbaas-dev1/v-${VID}`;
  const san = { id: 'h1', name: 'h1', storageBackendId: 'b1', dataRoot: '/var/lib/dbaas/volumes' } as HostEntity;
  const lun = {
    id: 'lun1',
    iqn: 'iqn.2026-11.io.dbaas:dev-test1',
    hostVg: 'dbaas-dev1',
    status: 'attached',
    hostId: 'h1',
  };
  const vol = (over: Partial<VolumeEntity> = {}) =>
    ({ id: VID, driver: 'san-lvm', sizeGb: 1, lunId: 'lun1', device: null, ...over }) as VolumeEntity;
  const rec = (name: string) => ok(fixture(name).text);

  function run(v: VolumeEntity) {
    const ex = new FakeExecutor()
      .on((a) => a[0] === 'iscsiadm' && a.includes('session'), rec('session-p3'))
      .on((a) => a[0] === 'pvs', rec('pvs-json'))
      .on((a) => a[0] === 'vgchange', ok())
      .on((a) => a[0] === 'lvs', rec('lvs-json'))
      .on((a) => a[0] === 'lvcreate', ok())
      .on((a) => a[0] === 'blkid', rec('blkid-ext4'))
      .on((a) => a[0] === 'findmnt', ok(`${MNT}\n`))
      .on((a) => a[0] === 'install', ok());
    const { r, recorded } = recorder();
    const d = new SanLvmStorageDriver(
      { executor: async () => ex } as never,
      {} as never,
      { get: async () => ({ id: 'b1', portalAddress: '10.99.0.10', portalPort: 3260 }) } as never,
      { get: async () => lun } as never,
      { update: async () => assert.fail('the driver wrote the volumes table') } as never,
      {} as never,
      {} as never,
      r,
    );
    return { out: d.ensure(san, v), recorded, ex };
  }

  test('a device not recorded yet: returned as the change, with the LUN', async () => {
    const { out, recorded, ex } = run(vol());
    assert.deepEqual(await out, { hostPath: `${MNT}/data`, changed: { lunId: 'lun1', device: DEV } });
    // The LUN was the volume's already: no checkpoint either.
    assert.deepEqual(recorded, []);
    assert.ok(ex.argvs.some((a) => a[0] === 'lvcreate' && a.includes(`v-${VID}`)));
  });

  test('nothing new: no change', async () => {
    const { out } = run(vol({ device: DEV }));
    assert.deepEqual(await out, { hostPath: `${MNT}/data` });
  });
});

describe('storage drivers never write the volumes table', () => {
  test('no file of libs/storage calls the volume repository to write: only to read', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(__dirname, '../../../../../libs/storage/src'));
    assert.ok(files.length > 10);
    for (const f of files) {
      const hits = readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => /\bvolumes\.(update|createIncoming|cutOver|setSealedDrbdSecretIfNone)\(/.test(l));
      assert.deepEqual(hits, [], f);
    }
  });
});
