import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  MirrorStatus,
  StorageDriver,
  VOLUME_REPOSITORY,
  VolumeRepository,
  VolumeUsage,
} from '@app/domain/ports';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { directoryPath } from '../directory/directory.driver';
import { HostBlockDevices } from '../san-lvm/host-block';
import { runChecked } from '../san-lvm/run-checked';
import { DrbdResource, drbdCmd, drbdDevice } from './drbd';
import { DrbdHost } from './drbd-host';
import { mirrorStateOf, parseProcDrbd } from './proc-drbd';

// Every database host keeps DRBD backing LVs in this volume group (ansible: local_vg_name).
export const DRBD_VG = 'local';
// Replication ports follow the minor, which is unique fleet-wide: no two resources ever clash on a port.
export const DRBD_BASE_PORT = 7800;

export const drbdResourceFor = (v: VolumeEntity) => `r-${v.id}`;
const backingLv = (v: VolumeEntity) => `d-${v.id}`;

/**
 * Volumes mirrored by DRBD (protocol C: a write is acknowledged once it is on both hosts) between the primary,
 * which mounts it and runs the container, and a peer in another failure domain, which can take over.
 */
@Injectable()
export class DrbdStorageDriver implements StorageDriver {
  readonly name = 'drbd';
  private readonly logger = new Logger(DrbdStorageDriver.name);

  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
  ) {}

  async ensure(host: HostEntity, volume: VolumeEntity): Promise<{ hostPath: string }> {
    const name = drbdResourceFor(volume);
    const primary = await this.drbd(host);
    const state = await primary.status(name);
    if (!(state.up && state.role?.local === 'Primary')) {
      // First creation (or a primary that lost its resource): both sides set up, connected, then promoted here.
      const peer = await this.peerOf(volume);
      const res = await this.resource(volume, host, peer);
      const secondary = await this.drbd(peer);
      for (const d of [primary, secondary]) {
        await d.ensureBackingLv(DRBD_VG, backingLv(volume), volume.sizeGb);
        await d.writeConfig(res);
        await d.ensureUp(res);
      }
      if (!(await primary.waitConnected(name, 60_000)))
        throw new Error(`the DRBD peers ${host.name} and ${peer.name} did not connect`);
      // Both sides are new and empty: no full initial resync of blank blocks.
      await primary.skipInitialSync(name);
      await primary.promote(name, {});
      await primary.ensureFilesystem(drbdDevice(volume.drbdMinor!));
    }
    return this.mountHere(host, volume, primary);
  }

  async remove(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const primary = await this.drbd(host);
    await primary.unmount(directoryPath(host, volume));
    await this.teardown(primary, volume);
    // The mirror goes too; a dead peer keeps a stale copy that the operator's host reset removes.
    const peer = volume.peerHostId ? await this.hosts.get(volume.peerHostId) : null;
    if (peer && peer.status !== 'fenced' && peer.status !== 'down') {
      await this.teardown(await this.drbd(peer), volume);
    } else if (peer) {
      this.logger.warn(`volume ${volume.id}: the mirror on ${peer.name} (${peer.status}) is left for its reset`);
    }
  }

  async usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage> {
    const blk = new HostBlockDevices(await this.connector.executor(host));
    return { usedBytes: await blk.usedBytes(directoryPath(host, volume)) };
  }

  /** Switchover: unmounted and demoted on the old primary, so the peer can be promoted without force. */
  async release(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const d = await this.drbd(host);
    await d.unmount(directoryPath(host, volume));
    await d.demote(drbdResourceFor(volume));
  }

  /**
   * Failover to the peer: promoted (never forced: DRBD refuses a disk that is not UpToDate) and mounted; no mkfs,
   * ever. The old primary becomes the peer, to be resynced when it comes back.
   */
  async takeover(target: HostEntity, volume: VolumeEntity): Promise<{ hostPath: string }> {
    const name = drbdResourceFor(volume);
    if (target.id !== volume.hostId && target.id !== volume.peerHostId)
      throw new Error(`host ${target.name} holds no mirror of this volume`);
    const d = await this.drbd(target);
    const state = await d.status(name);
    // The resource file written at creation is on the host: bring it up as it is (it may have rebooted).
    if (!state.up) await runChecked(await this.connector.executor(target), drbdCmd.up(name), { timeoutMs: 30_000 });
    await d.promote(name, {});
    const out = await this.mountHere(target, volume, d);
    if (target.id !== volume.hostId)
      await this.volumes.update(volume.id, { hostId: target.id, peerHostId: volume.hostId, mirrorState: 'degraded' });
    return out;
  }

  takeoverCandidates(volume: VolumeEntity, hosts: HostEntity[]): HostEntity[] {
    return hosts.filter((h) => h.id === volume.peerHostId);
  }

  /** One read of /proc/drbd tells every mirror's state on the host. */
  async mirrors(host: HostEntity, volumes: VolumeEntity[]): Promise<Map<string, MirrorStatus>> {
    const exec = await this.connector.executor(host);
    const res = await exec.run(['cat', '/proc/drbd'], { timeoutMs: 3000 });
    // A read that failed (the host dying under it) says nothing about the mirrors: never record it as degraded.
    if (res.exitCode !== 0) throw new Error(`cat /proc/drbd exited with ${res.exitCode} on ${host.name}`);
    const minors = parseProcDrbd(res.stdout);
    const out = new Map<string, MirrorStatus>();
    for (const v of volumes) {
      if (v.drbdMinor === null) continue;
      const s = minors.get(v.drbdMinor);
      out.set(v.id, {
        role: !s ? 'down' : s.role === 'Primary' ? 'primary' : 'secondary',
        state: mirrorStateOf(s),
      });
    }
    return out;
  }

  /** Brings a returning host's copy back as the secondary: it resyncs from the primary (the "resync clears it"). */
  async rejoin(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const name = drbdResourceFor(volume);
    const d = await this.drbd(host);
    await d.unmount(directoryPath(host, volume));
    const state = await d.status(name);
    if (!state.up) await runChecked(await this.connector.executor(host), drbdCmd.up(name), { timeoutMs: 30_000 });
    await d.demote(name);
  }

  private async mountHere(host: HostEntity, volume: VolumeEntity, d: DrbdHost): Promise<{ hostPath: string }> {
    const mount = directoryPath(host, volume);
    const device = drbdDevice(volume.drbdMinor!);
    await d.mount(device, mount);
    const hostPath = await new HostBlockDevices(await this.connector.executor(host)).dataDir(mount);
    if (volume.device !== device || volume.path !== hostPath)
      await this.volumes.update(volume.id, { device, path: hostPath });
    return { hostPath };
  }

  private async teardown(d: DrbdHost, volume: VolumeEntity): Promise<void> {
    const name = drbdResourceFor(volume);
    await d.down(name);
    await d.removeConfig(name);
    await d.removeBackingLv(DRBD_VG, backingLv(volume));
  }

  private async peerOf(volume: VolumeEntity): Promise<HostEntity> {
    const peer = volume.peerHostId ? await this.hosts.get(volume.peerHostId) : null;
    if (!peer) throw new Error('the volume has no DRBD peer host');
    return peer;
  }

  private async resource(volume: VolumeEntity, a: HostEntity, b: HostEntity): Promise<DrbdResource> {
    if (volume.drbdMinor === null) throw new Error('the volume has no DRBD minor');
    const node = async (h: HostEntity) => {
      if (!h.replicationAddress) throw new Error(`host ${h.name} has no replication address`);
      return {
        hostname: await (await this.drbd(h)).hostname(),
        address: h.replicationAddress,
        disk: `/dev/${DRBD_VG}/${backingLv(volume)}`,
      };
    };
    return {
      name: drbdResourceFor(volume),
      minor: volume.drbdMinor,
      port: DRBD_BASE_PORT + volume.drbdMinor,
      nodes: [await node(a), await node(b)],
    };
  }

  private async drbd(host: HostEntity): Promise<DrbdHost> {
    return new DrbdHost(await this.connector.executor(host));
  }
}
