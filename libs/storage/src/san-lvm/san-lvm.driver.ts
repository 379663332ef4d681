import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  LUN_REPOSITORY,
  LunRepository,
  PlacedVolume,
  RESOURCE_LOCK,
  ResourceLock,
  runHostHelper,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  StorageClone,
  StorageDriver,
  VOLUME_RECORDER,
  VOLUME_REPOSITORY,
  VolumeMounted,
  VolumeRecorder,
  VolumeRepository,
  VolumeSnapshot,
  VolumeUsage,
} from '@app/domain/ports';
import type { HostEntity, LunEntity, StorageBackendEntity, VolumeEntity } from '@app/persistence/entities';
import { generatePassword } from '@app/security';
import { directoryPath, mountedPaths } from '../host';
import { HostBlockDevices } from './host-block';
import { SanBackendClient } from './san-backend.client';

// Room LVM keeps for its metadata when checking whether a LUN can take another volume.
const VG_SLACK_BYTES = 16 * 2 ** 20;
// Below this a snapshot would overflow (and turn invalid) under any real write load during a copy.
const MIN_SNAPSHOT_MB = 128;
// The most a source's filesystem stays frozen if we die between freeze and thaw (a watchdog on its host thaws it).
const FREEZE_WATCHDOG_S = 20;

export const lvNameFor = (volume: VolumeEntity) => `v-${volume.id}`;

/**
 * Volumes on SAN LUNs: the storage server carves a LUN (an LV of its volume group) and exports it over
 * iSCSI to the host alone; on the host the LUN carries one volume group, and each database gets a logical
 * volume with ext4, mounted under the data root and bound into its container. Each step reconciles what it
 * finds, so a retried job converges.
 */
@Injectable()
export class SanLvmStorageDriver implements StorageDriver {
  readonly name = 'san-lvm';

  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(LUN_REPOSITORY) private readonly luns: LunRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    // The domain's writer of volume changes: here only for the LUN checkpoints a crash must not lose.
    @Inject(VOLUME_RECORDER) private readonly recorder: VolumeRecorder,
  ) {}

  /** The volume mounted on its host; `changed`: its LUN and device when they were not recorded yet. */
  async ensure(host: HostEntity, volume: VolumeEntity): Promise<VolumeMounted> {
    const blk = await this.block(host);
    const lun = await this.lunFor(host, volume, blk);
    const mount = directoryPath(host, volume);
    const device = await blk.ensureVolume(lun.hostVg, lvNameFor(volume), volume.sizeGb, mount);
    const hostPath = await blk.dataDir(mount);
    if (volume.device !== device || volume.lunId !== lun.id) return { hostPath, changed: { lunId: lun.id, device } };
    return { hostPath };
  }

  async remove(host: HostEntity, volume: VolumeEntity): Promise<void> {
    if (!volume.lunId) return;
    const lun = await this.luns.get(volume.lunId);
    if (!lun || lun.deletedAt) return;
    const blk = await this.block(host);
    await blk.removeVolume(lun.hostVg, lvNameFor(volume), directoryPath(host, volume));
    // The last volume on a LUN releases it: volume group, iSCSI session and the LUN on the storage server.
    await this.lock.withLock(`host-storage:${host.id}`, async () => {
      if ((await this.volumes.countOnLun(lun.id, volume.id)) > 0) return;
      await this.releaseLun(host, lun, blk);
    });
  }

  async usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage> {
    return { usedBytes: await (await this.block(host)).usedBytes(directoryPath(host, volume)) };
  }

  async grow(host: HostEntity, volume: VolumeEntity, sizeGb: number): Promise<void> {
    if (!volume.lunId) throw new Error('volume has no LUN');
    const blk = await this.block(host);
    await this.lock.withLock(`host-storage:${host.id}`, async () => {
      const lun = (await this.luns.get(volume.lunId!))!;
      const vg = await blk.vgFreeBytes(lun.hostVg);
      const need = (sizeGb - volume.sizeGb) * 2 ** 30 + VG_SLACK_BYTES;
      if (vg && vg.free < need) {
        // Not enough room on the LUN: grow the LUN itself on the storage server, then let the host see it.
        const backend = await this.backendOf(host);
        const newSize = lun.sizeGb + Math.max(Math.ceil((need - vg.free) / 2 ** 30), backend.lunSizeGb);
        await (await this.san(backend)).growLun(lun.name, newSize);
        const disk = await blk.diskOf(lun.iqn);
        if (!disk) throw new Error(`LUN ${lun.iqn} is not attached to ${host.name}`);
        await blk.rescan({ iqn: lun.iqn, portal: this.portal(backend) }, disk);
        await this.luns.update(lun.id, { sizeGb: newSize });
      }
      await blk.growVolume(lun.hostVg, lvNameFor(volume), sizeGb);
    });
  }

  /**
   * An LVM snapshot of the volume in its LUN's volume group, mounted beside the volumes: instant, and the
   * database keeps running. Its copy-on-write area takes what the LUN has free (at most the volume's size): it
   * only has to absorb the writes made while the copy runs. Null when the LUN has no room left for it.
   */
  async snapshot(host: HostEntity, volume: VolumeEntity, tag: string): Promise<VolumeSnapshot | null> {
    if (!/^[a-z0-9]{4,32}$/.test(tag)) throw new Error('invalid snapshot tag');
    if (!volume.lunId) return null;
    const lun = await this.luns.get(volume.lunId);
    if (!lun || lun.deletedAt) return null;
    const blk = await this.block(host);
    const snap = `s-${tag}`;
    const mount = `${host.dataRoot.replace(/\/+$/, '')}/.snapshots/${tag}`;
    const vg = await blk.vgFreeBytes(lun.hostVg);
    const cowMb = Math.floor(Math.min((vg?.free ?? 0) - VG_SLACK_BYTES, volume.sizeGb * 2 ** 30) / 2 ** 20);
    if (cowMb < MIN_SNAPSHOT_MB) return null;
    await blk.mountSnapshot(lun.hostVg, lvNameFor(volume), snap, cowMb, mount);
    return {
      path: `${mount}/data`,
      method: 'lvm-snapshot',
      release: () => blk.removeSnapshot(lun.hostVg, snap, mount),
    };
  }

  /**
   * Constant-time clone on a thin backend: the source's LUN is snapshotted on the storage server (its filesystem
   * frozen for that instant, so the copy is clean, not just crash-consistent), the snapshot is exported as the
   * target's own LUN, and the target host gives the copied volume group its own name and UUIDs (it may be the
   * source's host, which already has the original). No data moves, whatever the volume's size; blocks are shared
   * until either side writes. Every step skips what exists, so a retry resumes.
   */
  async cloneVolume(source: PlacedVolume, target: PlacedVolume): Promise<StorageClone> {
    const refused = await this.thinCloneRefusal(source, target);
    if (typeof refused === 'string') return { refused };
    const { srcLun, backend } = refused;
    const san = await this.san(backend);
    const lun = await this.lock.withLock(`volume-lun:${target.volume.id}`, async () => {
      const fresh = await this.volumes.get(target.volume.id);
      const existing = fresh?.lunId ? await this.luns.get(fresh.lunId) : null;
      if (existing && !existing.deletedAt) return existing;
      const made = await this.newLun(backend, target.host, srcLun.sizeGb, true);
      // Recorded first: a retry after a crash resumes this LUN, and deleting the clone releases it.
      await this.recorder.record(target.volume.id, { lunId: made.id });
      return made;
    });
    let frozenMs = 0;
    const srcBlk = await this.block(source.host);
    const srcMount = directoryPath(source.host, source.volume);
    const thin = await san.snapshotLun(srcLun.name, lun.name, async () => {
      await srcBlk.freeze(srcMount, FREEZE_WATCHDOG_S);
      const t0 = Date.now();
      return async () => {
        await srcBlk.thaw(srcMount);
        frozenMs = Date.now() - t0;
      };
    });
    if (!thin) throw new Error(`LUN ${srcLun.name} is not thin on the storage server`);
    const blk = await this.block(target.host);
    const chapPassword = this.secrets.open((await this.luns.getSealedChap(lun.id))!);
    await san.ensureLun({
      name: lun.name,
      iqn: lun.iqn,
      sizeGb: lun.sizeGb,
      initiators: [await this.initiatorOf(target.host, blk)],
      chapUser: lun.chapUser,
      chapPassword,
    });
    const disk = await blk.attach({ iqn: lun.iqn, portal: this.portal(backend), chapUser: lun.chapUser, chapPassword });
    await blk.importClone(lun.hostVg, disk);
    await blk.ensureVg(lun.hostVg, disk);
    await blk.renameVolume(lun.hostVg, lvNameFor(source.volume), lvNameFor(target.volume));
    // A host-side snapshot the source had at that instant (a backup running) came along: it is not the clone's.
    await blk.removeVolumesExcept(lun.hostVg, lvNameFor(target.volume));
    await this.luns.update(lun.id, { status: 'attached', hostId: target.host.id });
    return { method: 'thin-lun-snapshot', frozenMs };
  }

  /** Why a thin clone cannot be made here (a reason), or the source's LUN and backend when it can. */
  private async thinCloneRefusal(
    source: PlacedVolume,
    target: PlacedVolume,
  ): Promise<string | { srcLun: LunEntity; backend: StorageBackendEntity }> {
    if (source.volume.driver !== this.name) return `the source is on ${source.volume.driver} storage`;
    if (source.host.storageBackendId !== target.host.storageBackendId)
      return 'the target host is on another storage backend';
    if (source.volume.sizeGb !== target.volume.sizeGb) return 'the clone has another size than the source';
    const backend = await this.backendOf(target.host);
    if (!backend.thinPool) return 'the storage backend has no thin pool';
    const srcLun = source.volume.lunId ? await this.luns.get(source.volume.lunId) : null;
    if (!srcLun || srcLun.deletedAt) return 'the source has no LUN';
    // A shared LUN holds other databases' volumes: a block copy of it would carry their data along.
    if (!srcLun.dedicated) return 'the source shares its LUN with other volumes';
    if (!(await (await this.san(backend)).isThin(srcLun.name))) return "the source's LUN is not thin";
    return { srcLun, backend };
  }

  /** Switchover: the volume unmounted, its volume group deactivated and the LUN logged out on the old host. */
  async release(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const lun = await this.dedicatedLun(volume);
    const blk = await this.block(host);
    await blk.unmount(directoryPath(host, volume));
    await blk.deactivateVg(lun.hostVg);
    await blk.detach({ iqn: lun.iqn, portal: this.portal(await this.backendOf(host)) });
    await this.luns.update(lun.id, { status: 'detached' });
  }

  /**
   * Failover: the storage server's ACL is switched to the new host first (the old one, dead or not, can no longer
   * write: its session is dropped and its logins refused), then the new host logs in, activates the volume
   * group and mounts the volume. `changed`: the new host, the device and the data path.
   */
  async takeover(target: HostEntity, volume: VolumeEntity): Promise<VolumeMounted> {
    const lun = await this.dedicatedLun(volume);
    const backend = await this.backendOf(target);
    if (backend.id !== lun.backendId) throw new Error(`host ${target.name} is not on the LUN's storage backend`);
    const blk = await this.block(target);
    const chapPassword = this.secrets.open((await this.luns.getSealedChap(lun.id))!);
    const initiator = await this.initiatorOf(target, blk);
    const san = await this.san(backend);
    const readBack = await san.setInitiators({
      iqn: lun.iqn,
      initiators: [initiator],
      chapUser: lun.chapUser,
      chapPassword,
    });
    // The old host is fenced at the storage side only once the storage server, read back, says so.
    await san.confirmOnly(lun.iqn, [initiator], readBack);
    await this.luns.update(lun.id, { hostId: target.id, status: 'creating' });
    const mount = directoryPath(target, volume);
    const attachment = { iqn: lun.iqn, portal: this.portal(backend), chapUser: lun.chapUser, chapPassword };
    // The host helper does the login, the volume group, the mount and the data directory in one round trip.
    const helped = await runHostHelper<{ device: string; hostPath: string }>(
      await this.connector.executor(target),
      'san-attach',
      { ...attachment, vg: lun.hostVg, lv: lvNameFor(volume), sizeGb: volume.sizeGb, mount },
      { timeoutMs: 180_000, secrets: [chapPassword] },
    ).catch((err: Error) => {
      throw new Error(`on ${target.name}: ${err.message}`);
    });
    if (helped) {
      await this.luns.update(lun.id, { status: 'attached', hostId: target.id });
      return {
        hostPath: helped.hostPath,
        changed: { hostId: target.id, device: helped.device, path: helped.hostPath },
      };
    }
    const disk = await blk.attach(attachment);
    await blk.ensureVg(lun.hostVg, disk);
    const device = await blk.ensureVolume(lun.hostVg, lvNameFor(volume), volume.sizeGb, mount);
    await this.luns.update(lun.id, { status: 'attached', hostId: target.id });
    const hostPath = await blk.dataDir(mount);
    return { hostPath, changed: { hostId: target.id, device, path: hostPath } };
  }

  takeoverPaths(target: HostEntity, volume: VolumeEntity): { mount: string; hostPath: string } {
    return mountedPaths(target, volume);
  }

  takeoverCandidates(volume: VolumeEntity, hosts: HostEntity[]): HostEntity[] {
    return hosts.filter((h) => h.id !== volume.hostId && h.storageDriver === 'san-lvm' && !!h.storageBackendId);
  }

  private async dedicatedLun(volume: VolumeEntity): Promise<LunEntity> {
    const lun = volume.lunId ? await this.luns.get(volume.lunId) : null;
    if (!lun || lun.deletedAt) throw new Error('the volume has no LUN');
    // A shared LUN carries other databases' volumes: it cannot follow one of them.
    if (!lun.dedicated) throw new Error('the volume shares its LUN with others; only ha "san" volumes can move');
    return lun;
  }

  /** Releases a LUN from its host and deletes it: volume group, iSCSI session and node, target and LV. */
  async releaseLun(host: HostEntity, lun: LunEntity, blk: HostBlockDevices): Promise<void> {
    const backend = await this.backends.get(lun.backendId);
    if (!backend) throw new Error('storage backend not found');
    await this.luns.update(lun.id, { status: 'deleting' });
    const disk = await blk.diskOf(lun.iqn);
    await blk.removeVg(lun.hostVg, disk);
    await blk.detach({ iqn: lun.iqn, portal: this.portal(backend) });
    await (await this.san(backend)).removeLun(lun.name, lun.iqn);
    await this.luns.markDeleted(lun.id);
  }

  private async lunFor(host: HostEntity, volume: VolumeEntity, blk: HostBlockDevices): Promise<LunEntity> {
    if (volume.lunId) {
      const lun = await this.luns.get(volume.lunId);
      if (lun && !lun.deletedAt) {
        await this.attach(host, lun, blk);
        return lun;
      }
    }
    return this.lock.withLock(`host-storage:${host.id}`, async () => {
      const backend = await this.backendOf(host);
      // An HA volume gets a LUN of its own, and so does every volume on a thin backend: a thin LUN costs nothing
      // up front, and a LUN of its own is what lets a volume be cloned by a snapshot of it. Other volumes share
      // LUNs with room left.
      const dedicated = volume.ha === 'san' || !!backend.thinPool;
      for (const lun of dedicated ? [] : await this.luns.listLive({ hostId: host.id })) {
        if (lun.status !== 'attached' || lun.dedicated) continue;
        const vg = await blk.vgFreeBytes(lun.hostVg);
        if (vg && vg.free >= volume.sizeGb * 2 ** 30 + VG_SLACK_BYTES) {
          // Under the host's storage lock: a concurrent release of this LUN counts this volume on it.
          await this.recorder.record(volume.id, { lunId: lun.id });
          return lun;
        }
      }
      const sizeGb = dedicated ? volume.sizeGb + 1 : Math.max(backend.lunSizeGb, volume.sizeGb + 1);
      const lun = await this.newLun(backend, host, sizeGb, dedicated);
      // Recorded before the slow steps, so a retry after a crash resumes this LUN instead of carving another.
      await this.recorder.record(volume.id, { lunId: lun.id });
      await this.attach(host, lun, blk);
      return lun;
    });
  }

  /** A LUN's record, named and credentialed, before anything exists on the storage server or the host. */
  private newLun(backend: StorageBackendEntity, host: HostEntity, sizeGb: number, dedicated: boolean) {
    const short = randomBytes(6).toString('hex');
    return this.luns.create({
      backendId: backend.id,
      hostId: host.id,
      name: `lun-${short}`,
      iqn: `${backend.iqnPrefix}:lun-${short}`,
      sizeGb,
      dedicated,
      chapUser: `dbaas-${short}`,
      chapPassword: this.secrets.seal(generatePassword(24)),
      hostVg: `dbaas-${short}`,
    });
  }

  private async attach(host: HostEntity, lun: LunEntity, blk: HostBlockDevices): Promise<void> {
    const backend = await this.backendOf(host);
    const portal = this.portal(backend);
    let disk = await blk.diskOf(lun.iqn);
    if (!disk || lun.status !== 'attached') {
      const chapPassword = this.secrets.open((await this.luns.getSealedChap(lun.id))!);
      const initiator = await this.initiatorOf(host, blk);
      await (
        await this.san(backend)
      ).ensureLun({
        name: lun.name,
        iqn: lun.iqn,
        sizeGb: lun.sizeGb,
        initiators: [initiator],
        chapUser: lun.chapUser,
        chapPassword,
      });
      disk = await blk.attach({ iqn: lun.iqn, portal, chapUser: lun.chapUser, chapPassword });
    }
    await blk.ensureVg(lun.hostVg, disk);
    if (lun.status !== 'attached' || lun.hostId !== host.id)
      await this.luns.update(lun.id, { status: 'attached', hostId: host.id });
  }

  private async initiatorOf(host: HostEntity, blk: HostBlockDevices): Promise<string> {
    if (host.iscsiInitiator) return host.iscsiInitiator;
    const name = await blk.initiatorName();
    await this.hosts.update(host.id, { iscsiInitiator: name });
    return name;
  }

  private async backendOf(host: HostEntity): Promise<StorageBackendEntity> {
    const backend = host.storageBackendId ? await this.backends.get(host.storageBackendId) : null;
    if (!backend) throw new Error(`host ${host.name} has no storage backend`);
    return backend;
  }

  private portal(backend: StorageBackendEntity): string {
    return `${backend.portalAddress}:${backend.portalPort}`;
  }

  private async san(backend: StorageBackendEntity): Promise<SanBackendClient> {
    return new SanBackendClient(
      await this.connector.storageExecutor(backend),
      backend.volumeGroup,
      backend.portalAddress,
      backend.portalPort,
      backend.thinPool,
    );
  }

  private async block(host: HostEntity): Promise<HostBlockDevices> {
    return new HostBlockDevices(await this.connector.executor(host));
  }
}
