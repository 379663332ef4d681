import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostEntity, LunEntity, StorageBackendEntity, VolumeEntity } from '@app/persistence/entities';
import { HostBlockDevices } from '@app/storage/san-lvm/host-block';
import { SanBackendClient } from '@app/storage/san-lvm/san-backend.client';
import { SanLvmStorageDriver } from '@app/storage/san-lvm/san-lvm.driver';
import { fail, FakeExecutor, ok } from '../../../support/fake-executor';

const is =
  (prog: string, ...args: string[]) =>
  (argv: readonly string[]) =>
    argv[0] === prog && args.every((a) => argv.includes(a));

/** `lvs --reportformat json` as LVM prints it, for these volumes. */
const lvsJson = (lvs: { name: string; vg: string; pool?: string }[]) =>
  ok(
    JSON.stringify({
      report: [
        {
          lv: lvs.map((l) => ({
            lv_name: l.name,
            vg_name: l.vg,
            lv_size: String(2 ** 31),
            lv_path: `/dev/${l.vg}/${l.name}`,
            lv_active: 'active',
            pool_lv: l.pool ?? '',
          })),
        },
      ],
    }),
  );
const pvsJson = (pvs: { name: string; vg: string }[]) =>
  ok(
    JSON.stringify({
      report: [{ pv: pvs.map((p) => ({ pv_name: p.name, vg_name: p.vg, pv_size: '2147483648', pv_free: '0' })) }],
    }),
  );

describe('HostBlockDevices: the host side of a storage-side clone', () => {
  const MNT = '/var/lib/dbaas/volumes/abc';

  test('freeze: one fixed script; the mount point and the watchdog bound are separate arguments', async () => {
    const ex = new FakeExecutor().on(is('sh'), ok());
    await new HostBlockDevices(ex).freeze(MNT, 20);
    const [argv] = ex.argvs;
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.deepEqual(argv.slice(3), ['dbaas-freeze', MNT, '20']);
    // The script never contains the path, refuses a non-mount point (FIFREEZE would freeze the root), thaws later.
    assert.ok(!argv[2].includes(MNT));
    assert.match(argv[2], /findmnt --mountpoint "\$1"/);
    assert.match(argv[2], /sleep "\$2"; fsfreeze --unfreeze "\$1"/);
  });

  test('freeze refuses hostile paths and silly bounds before running anything', async () => {
    const ex = new FakeExecutor();
    const blk = new HostBlockDevices(ex);
    for (const bad of ['relative', '/a/../etc', '/a b', '/a;reboot', '/$(x)'])
      await assert.rejects(blk.freeze(bad, 20), /unsafe mount path/);
    for (const n of [0, 301, 1.5, NaN]) await assert.rejects(blk.freeze(MNT, n), /invalid freeze bound/);
    assert.equal(ex.calls.length, 0);
  });

  test('freeze fails when the volume is not mounted (exit 3), so no snapshot is taken of an unfrozen disk', async () => {
    const ex = new FakeExecutor().on(is('sh'), fail(3, `${MNT} is not a mount point\n`));
    await assert.rejects(new HostBlockDevices(ex).freeze(MNT, 20), /not a mount point/);
  });

  test('thaw: a filesystem that is not frozen (the watchdog came first) is fine; another error is not', async () => {
    const notFrozen = new FakeExecutor().on(
      is('fsfreeze'),
      fail(1, 'fsfreeze: /x: unfreeze failed: Invalid argument\n'),
    );
    await new HostBlockDevices(notFrozen).thaw(MNT);
    assert.deepEqual(notFrozen.argvs, [['fsfreeze', '--unfreeze', MNT]]);
    const other = new FakeExecutor().on(is('fsfreeze'), fail(1, 'fsfreeze: cannot open /x: No such file\n'));
    await assert.rejects(new HostBlockDevices(other).thaw(MNT), /unfreeze failed/);
  });

  test('importClone: a disk still carrying the source VG is imported under the new name; an imported one is left', async () => {
    const fresh = new FakeExecutor().on(is('pvs'), pvsJson([])).on(is('vgimportclone'), ok());
    await new HostBlockDevices(fresh).importClone('dbaas-new', '/dev/sdc');
    assert.deepEqual(fresh.argvs[1], ['vgimportclone', '--basevgname', 'dbaas-new', '/dev/sdc']);
    const done = new FakeExecutor().on(is('pvs'), pvsJson([{ name: '/dev/sdc', vg: 'dbaas-new' }]));
    await new HostBlockDevices(done).importClone('dbaas-new', '/dev/sdc');
    assert.equal(done.calls.length, 1);
  });

  test('importClone on a host without the original: the auto-activated copy is deactivated, then imported', async () => {
    const ex = new FakeExecutor()
      .on(
        is('pvs'),
        pvsJson([
          { name: '/dev/sda', vg: 'dbaas-src' },
          { name: '/dev/vdb', vg: 'local' },
        ]),
      )
      .on(is('vgchange'), ok())
      .on(is('vgimportclone'), ok());
    await new HostBlockDevices(ex).importClone('dbaas-new', '/dev/sda');
    assert.deepEqual(ex.argvs.slice(1), [
      ['vgchange', '-a', 'n', 'dbaas-src'],
      ['vgimportclone', '--basevgname', 'dbaas-new', '/dev/sda'],
    ]);
  });

  test('importClone never deactivates a volume group that spans other disks', async () => {
    const ex = new FakeExecutor().on(
      is('pvs'),
      pvsJson([
        { name: '/dev/sda', vg: 'data' },
        { name: '/dev/sdb', vg: 'data' },
      ]),
    );
    await assert.rejects(new HostBlockDevices(ex).importClone('dbaas-new', '/dev/sda'), /together with other disks/);
    assert.equal(ex.calls.length, 1);
  });

  test("renameVolume: idempotent; removeVolumesExcept drops a backup's snapshot that came along", async () => {
    const ex = new FakeExecutor()
      .on(is('lvs'), lvsJson([{ name: 'v-src', vg: 'dbaas-new' }]), lvsJson([{ name: 'v-dst', vg: 'dbaas-new' }]))
      .on(is('lvrename'), ok());
    const blk = new HostBlockDevices(ex);
    await blk.renameVolume('dbaas-new', 'v-src', 'v-dst');
    await blk.renameVolume('dbaas-new', 'v-src', 'v-dst');
    assert.deepEqual(
      ex.argvs.filter((a) => a[0] === 'lvrename'),
      [['lvrename', 'dbaas-new', 'v-src', 'v-dst']],
    );
    const strays = new FakeExecutor()
      .on(
        is('lvs'),
        lvsJson([
          { name: 'v-dst', vg: 'dbaas-new' },
          { name: 's-0123abcd', vg: 'dbaas-new' },
        ]),
      )
      .on(is('lvremove'), ok());
    await new HostBlockDevices(strays).removeVolumesExcept('dbaas-new', 'v-dst');
    assert.deepEqual(strays.argvs[1], ['lvremove', '-y', 'dbaas-new/s-0123abcd']);
    assert.equal(strays.calls.length, 2);
  });
});

describe('SanBackendClient.snapshotLun', () => {
  const client = (ex: FakeExecutor) => new SanBackendClient(ex, 'san', '10.99.0.10', 3260, 'pool0');

  test('a thin LUN: the hook runs around the snapshot (freeze before, thaw after)', async () => {
    const order: string[] = [];
    const ex = new FakeExecutor()
      .on(is('lvs'), lvsJson([{ name: 'lun-a', vg: 'san', pool: 'pool0' }]))
      .on(is('lvcreate'), () => (order.push('snapshot'), ok()));
    const made = await client(ex).snapshotLun('lun-a', 'lun-b', async () => {
      order.push('freeze');
      return async () => void order.push('thaw');
    });
    assert.equal(made, true);
    assert.deepEqual(order, ['freeze', 'snapshot', 'thaw']);
    assert.deepEqual(ex.argvs[1], ['lvcreate', '-y', '-s', '--setactivationskip', 'n', '-n', 'lun-b', 'san/lun-a']);
  });

  test('the snapshot failing still thaws', async () => {
    const order: string[] = [];
    const ex = new FakeExecutor()
      .on(is('lvs'), lvsJson([{ name: 'lun-a', vg: 'san', pool: 'pool0' }]))
      .on(
        is('lvcreate'),
        fail(5, '  Cannot create new thin volume, free space in thin pool san/pool0 reached threshold.\n'),
      );
    await assert.rejects(
      client(ex).snapshotLun('lun-a', 'lun-b', async () => async () => void order.push('thaw')),
      /threshold/,
    );
    assert.deepEqual(order, ['thaw']);
  });

  test('already there (a retry): nothing frozen, nothing made; a thick LUN: false; a missing one: an error', async () => {
    let hooked = false;
    const hook = async () => ((hooked = true), async () => undefined);
    const both = new FakeExecutor().on(
      is('lvs'),
      lvsJson([
        { name: 'lun-a', vg: 'san', pool: 'pool0' },
        { name: 'lun-b', vg: 'san', pool: 'pool0' },
      ]),
    );
    assert.equal(await client(both).snapshotLun('lun-a', 'lun-b', hook), true);
    const thick = new FakeExecutor().on(is('lvs'), lvsJson([{ name: 'lun-a', vg: 'san' }]));
    assert.equal(await client(thick).snapshotLun('lun-a', 'lun-b', hook), false);
    assert.equal(hooked, false);
    assert.deepEqual(
      [...both.argvs, ...thick.argvs].filter((a) => a[0] === 'lvcreate'),
      [],
    );
    const none = new FakeExecutor().on(is('lvs'), lvsJson([]));
    await assert.rejects(client(none).snapshotLun('lun-a', 'lun-b', hook), /lun-a not found/);
  });
});

describe('SanLvmStorageDriver.cloneVolume: when the storage cannot clone, it says why and changes nothing', () => {
  const backend = { id: 'b1', thinPool: 'pool0', volumeGroup: 'san', portalAddress: '10.99.0.10', portalPort: 3260 };
  const host = (id: string, backendId = 'b1') =>
    ({ id, name: id, storageBackendId: backendId, dataRoot: '/var/lib/dbaas/volumes' }) as HostEntity;
  const volume = (id: string, over: Partial<VolumeEntity> = {}) =>
    ({ id, driver: 'san-lvm', sizeGb: 1, lunId: `lun-of-${id}`, ...over }) as VolumeEntity;
  const lun = (over: Partial<LunEntity> = {}) =>
    ({ id: 'lun-of-src', name: 'lun-a', dedicated: true, deletedAt: null, sizeGb: 2, ...over }) as LunEntity;

  function driver(opts: { backend?: Partial<StorageBackendEntity>; lun?: LunEntity; storage?: FakeExecutor }) {
    const writes: string[] = [];
    const storage = opts.storage ?? new FakeExecutor();
    const d = new SanLvmStorageDriver(
      { storageExecutor: async () => storage } as never,
      {} as never,
      { get: async () => ({ ...backend, ...opts.backend }) } as never,
      {
        get: async () => opts.lun ?? lun(),
        create: async () => void writes.push('lun'),
        update: async () => void writes.push('lun'),
      } as never,
      { get: async () => null } as never,
      {} as never,
      { withLock: async (_k: string, fn: () => Promise<unknown>) => fn() } as never,
      {
        record: async () => void writes.push('volume'),
        recordSealedDrbdSecretIfNone: async () => void writes.push('volume'),
      },
    );
    return { d, writes, storage };
  }
  const src = { host: host('h1'), volume: volume('src') };
  const dst = { host: host('h2'), volume: volume('dst', { lunId: null }) };

  const cases: [string, () => ReturnType<typeof driver>, typeof src, typeof dst, RegExp][] = [
    [
      'the source on directory storage',
      () => driver({}),
      { ...src, volume: volume('src', { driver: 'directory' }) },
      dst,
      /on directory storage/,
    ],
    ['another backend', () => driver({}), src, { ...dst, host: host('h2', 'b2') }, /another storage backend/],
    [
      'another size',
      () => driver({}),
      src,
      { ...dst, volume: volume('dst', { sizeGb: 2, lunId: null }) },
      /another size/,
    ],
    ['no thin pool', () => driver({ backend: { thinPool: null } }), src, dst, /no thin pool/],
    ['a shared LUN', () => driver({ lun: lun({ dedicated: false }) }), src, dst, /shares its LUN/],
    [
      'a thick LUN',
      () => driver({ storage: new FakeExecutor().on(is('lvs'), lvsJson([{ name: 'lun-a', vg: 'san' }])) }),
      src,
      dst,
      /not thin/,
    ],
  ];
  for (const [name, make, s, t, why] of cases)
    test(name, async () => {
      const { d, writes, storage } = make();
      const res = await d.cloneVolume(s, t);
      assert.ok('refused' in res, JSON.stringify(res));
      assert.match(res.refused, why);
      assert.deepEqual(writes, []);
      assert.ok(
        storage.argvs.every((a) => a[0] === 'lvs'),
        JSON.stringify(storage.argvs),
      );
    });
});
