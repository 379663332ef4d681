import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  MirrorStatus,
  runHostHelper,
  SECRET_BOX,
  SecretSealer,
  StorageDriver,
  VOLUME_RECORDER,
  VOLUME_REPOSITORY,
  VolumeMounted,
  VolumeRecorder,
  VolumeRepository,
  VolumeUsage,
} from '@app/domain/ports';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { generatePassword } from '@app/security';
import { directoryPath, HostFilesystems, mountedPaths, removeGuardCmd, runChecked } from '../host';
import { DrbdResource, drbdCmd, drbdDevice, DRBD_NET_TIMING, drbdSharedSecret } from './drbd';
import { DrbdHost } from './drbd-host';
import {
  canForcePromote,
  DiskState,
  FORCEABLE_DISK_STATES,
  isTalking,
  mirrorStateOf,
  parseProcDrbd,
  Role,
  TALKING_CSTATES,
} from './drbd-state';
import { fenceCmd, parseStateRead, pendingRequest } from './fence';

// Every database host keeps DRBD backing LVs in this volume group (ansible: local_vg_name).
export const DRBD_VG = 'local';
// Replication ports follow the minor, which is unique fleet-wide: no two resources ever clash on a port.
export const DRBD_BASE_PORT = 7800;

export const drbdResourceFor = (v: Pick<VolumeEntity, 'id'>) => `r-${v.id}`;
const backingLv = (v: VolumeEntity) => `d-${v.id}`;

// Letters and digits only (drbdSharedSecret): ~234 bits.
const SECRET_LENGTH = 40;
// How often a promotion looks for its own fence-peer request to answer.
const ANSWER_POLL_MS = 200;
// A peer notices a cut link after at most ping-int + ping-timeout; it refuses to be outdated until then.
const OUTDATE_WAIT_MS = (DRBD_NET_TIMING.pingIntSec + DRBD_NET_TIMING.pingTimeoutDs / 10) * 1000 + 5000;

/** The volume mounted from its DRBD device at `hostPath`: `changed` says what differs from its record. */
function mounted(volume: VolumeEntity, hostPath: string): VolumeMounted {
  const device = drbdDevice(volume.drbdMinor!);
  if (volume.device !== device || volume.path !== hostPath) return { hostPath, changed: { device, path: hostPath } };
  return { hostPath };
}

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
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    // The domain's writer of volume changes: here only to store the shared secret before the resource files.
    @Inject(VOLUME_RECORDER) private readonly recorder: VolumeRecorder,
  ) {}

  /** The volume mounted on its primary; `changed`: its device and data path when they were not recorded yet. */
  async ensure(host: HostEntity, volume: VolumeEntity): Promise<VolumeMounted> {
    const name = drbdResourceFor(volume);
    let primary = await this.drbd(host, await this.knownSecret(volume));
    const state = await primary.status(name);
    if (!(state.up && state.role?.local === Role.Primary)) {
      // First creation (or a primary that lost its resource): both sides set up, connected, then promoted here.
      const peer = await this.peerOf(volume);
      const secret = await this.sharedSecret(volume);
      const res = await this.resource(volume, host, peer, secret);
      primary = await this.drbd(host, [secret]);
      const secondary = await this.drbd(peer, [secret]);
      for (const d of [primary, secondary]) {
        await d.requireFenceHandler();
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
    const secrets = await this.knownSecret(volume);
    const primary = await this.drbd(host, secrets);
    await primary.unmount(directoryPath(host, volume));
    await this.teardown(primary, volume);
    await this.removeGuard(host, volume);
    // The mirror goes too; a dead peer keeps a stale copy that the operator's host reset removes.
    const peer = volume.peerHostId ? await this.hosts.get(volume.peerHostId) : null;
    if (peer && peer.status !== 'fenced' && peer.status !== 'down') {
      await this.teardown(await this.drbd(peer, secrets), volume);
      // The guard a standby or a takeover laid under the peer's mount point (an empty file named data).
      await this.removeGuard(peer, volume);
    } else if (peer) {
      this.logger.warn(`volume ${volume.id}: the mirror on ${peer.name} (${peer.status}) is left for its reset`);
    }
  }

  async usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage> {
    const blk = new HostFilesystems(await this.connector.executor(host));
    return { usedBytes: await blk.usedBytes(directoryPath(host, volume)) };
  }

  /** Switchover: unmounted and demoted on the old primary, so the peer can be promoted without force. */
  async release(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const d = await this.drbd(host, await this.knownSecret(volume));
    await d.unmount(directoryPath(host, volume));
    await d.demote(drbdResourceFor(volume));
  }

  /**
   * Failover to the peer: promoted and mounted; no mkfs, ever. The old primary becomes the peer, to be resynced
   * when it comes back. Not forced (DRBD refuses a disk that is not UpToDate) unless an operator accepted data
   * loss, and even then never from an Inconsistent disk (a resync cut short: no usable filesystem). After a clean
   * release (switchover) the target must still be connected to the demoted primary: nobody answers its
   * fence-peer handler then, as the old primary is not fenced. `changed`: on another host, the target becomes the
   * volume's host and the old primary its peer, the mirror degraded until the old primary resyncs.
   */
  async takeover(
    target: HostEntity,
    volume: VolumeEntity,
    opts: { acceptDataLoss?: boolean; released?: boolean } = {},
  ): Promise<VolumeMounted> {
    if (target.id !== volume.hostId && target.id !== volume.peerHostId)
      throw new Error(`host ${target.name} holds no mirror of this volume`);
    const out =
      (await this.takeoverByHelper(target, volume, opts)) ?? (await this.takeoverByCommands(target, volume, opts));
    if (target.id === volume.hostId) return out;
    return {
      hostPath: out.hostPath,
      changed: { ...out.changed, hostId: target.id, peerHostId: volume.hostId, mirrorState: 'degraded' },
    };
  }

  /** The takeover's promotion and mount one command at a time: hosts without the host helper. */
  private async takeoverByCommands(
    target: HostEntity,
    volume: VolumeEntity,
    opts: { acceptDataLoss?: boolean; released?: boolean },
  ): Promise<VolumeMounted> {
    const name = drbdResourceFor(volume);
    const secrets = await this.knownSecret(volume);
    const d = await this.drbd(target, secrets);
    let state = await d.status(name);
    // The resource file written at creation is on the host: bring it up as it is (it may have rebooted).
    if (!state.up) {
      await runChecked(await this.connector.executor(target), drbdCmd.up(name), { timeoutMs: 30_000, secrets });
      state = await d.status(name);
    }
    let force = false;
    if (opts.acceptDataLoss && state.role?.local !== Role.Primary && state.dstate?.local !== DiskState.UpToDate) {
      if (!canForcePromote(state.dstate?.local))
        throw new Error(
          `the copy on ${target.name} is ${state.dstate?.local ?? 'unknown'}: it cannot be promoted, even accepting data loss`,
        );
      force = true;
    }
    if (opts.released && state.role?.local !== Role.Primary) {
      if (!isTalking(state.cstate))
        throw new Error(
          `the copy on ${target.name} is not connected to the old primary (${state.cstate ?? 'down'}): a switchover would lose writes`,
        );
      await d.promote(name, { force });
    } else await this.promoteAnswering(d, name, force);
    return this.mountHere(target, volume, d);
  }

  takeoverPaths(target: HostEntity, volume: VolumeEntity): { mount: string; hostPath: string } {
    return mountedPaths(target, volume);
  }

  takeoverCandidates(volume: VolumeEntity, hosts: HostEntity[]): HostEntity[] {
    return hosts.filter((h) => h.id === volume.peerHostId);
  }

  /**
   * The same takeover in one round trip, by the host helper: the decisions (which disk states may be forced, whether
   * the peer must still be connected) are made here and passed as data; the helper carries them out. Null when the
   * host has no helper: the single commands do it.
   */
  private async takeoverByHelper(
    target: HostEntity,
    volume: VolumeEntity,
    opts: { acceptDataLoss?: boolean; released?: boolean },
  ): Promise<VolumeMounted | null> {
    const out = await runHostHelper<{ hostPath: string; state: { role: string } }>(
      await this.connector.executor(target),
      'drbd-takeover',
      {
        resource: drbdResourceFor(volume),
        device: drbdDevice(volume.drbdMinor!),
        mount: directoryPath(target, volume),
        forceFrom: opts.acceptDataLoss ? FORCEABLE_DISK_STATES : [],
        // After a clean release nobody answers the fence-peer handler: the old primary must still be connected.
        requireTalking: opts.released ? TALKING_CSTATES : null,
        answerFence: !opts.released,
        timeoutS: 60,
      },
      { timeoutMs: 90_000 },
    ).catch((err: Error) => {
      throw new Error(`on ${target.name}: ${err.message}`);
    });
    return out && mounted(volume, out.hostPath);
  }

  /**
   * One round trip tells every mirror's state on the host (/proc/drbd) and the fence-peer handler's requests
   * waiting for an answer.
   */
  async mirrors(host: HostEntity, volumes: VolumeEntity[]): Promise<Map<string, MirrorStatus>> {
    const exec = await this.connector.executor(host);
    const res = await exec.run(fenceCmd.readState(), { timeoutMs: 3000 });
    const { proc, markers } = parseStateRead(res.stdout);
    // A read that failed (the host dying under it) says nothing about the mirrors: never record it as degraded.
    // Exit 2 with /proc/drbd read: only the marker directory is missing (nothing was ever asked on this host).
    if (proc === null || (res.exitCode !== 0 && res.exitCode !== 2))
      throw new Error(`reading /proc/drbd exited with ${res.exitCode} on ${host.name}`);
    const minors = parseProcDrbd(proc);
    const out = new Map<string, MirrorStatus>();
    for (const v of volumes) {
      if (v.drbdMinor === null) continue;
      const s = minors.get(v.drbdMinor);
      const m = markers.get(drbdResourceFor(v));
      const request = pendingRequest(m);
      out.set(v.id, {
        role: !s ? 'down' : s.role === Role.Primary ? 'primary' : 'secondary',
        state: mirrorStateOf(s),
        ...(request ? { fenceRequest: request } : {}),
        ...(m ? { fenceMarkers: true } : {}),
      });
    }
    return out;
  }

  async ackFencePeer(host: HostEntity, volume: VolumeEntity, request: string): Promise<void> {
    await (await this.drbd(host)).ackFence(drbdResourceFor(volume), request);
  }

  async clearFenceMarkers(host: HostEntity, volume: VolumeEntity): Promise<void> {
    await (await this.drbd(host)).clearFence(drbdResourceFor(volume));
  }

  /**
   * The peer's copy marked Outdated: DRBD itself then refuses to promote it (without force). The peer notices a
   * cut link a little after the primary does and refuses to be outdated while it still believes it is connected,
   * so this waits for that, briefly. Never outdates a primary.
   */
  async outdatePeer(peer: HostEntity, volume: VolumeEntity): Promise<void> {
    const name = drbdResourceFor(volume);
    const d = await this.drbd(peer, await this.knownSecret(volume));
    const deadline = Date.now() + OUTDATE_WAIT_MS;
    for (;;) {
      const s = await d.status(name);
      if (!s.up) throw new Error(`the resource is not up on ${peer.name}`);
      if (s.role?.local === Role.Primary) throw new Error(`${peer.name} is primary: not outdated`);
      if (s.dstate?.local === DiskState.Outdated) return;
      if (!isTalking(s.cstate)) {
        // It may still be tearing the connection down (NetworkFailure, Unconnected): tried again until the deadline.
        try {
          return await d.outdate(name);
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      } else if (Date.now() > deadline) throw new Error(`${peer.name} still sees its peer (${s.cstate})`);
      await sleep(500);
    }
  }

  /**
   * Brings a returning host's copy back as the secondary: it resyncs from the primary. Both resource files are
   * rendered anew when both hosts answer (existing volumes get their shared secret, fencing and handler here);
   * otherwise both keep theirs, which must agree. The returning host reconnects as the side to overwrite should
   * the copies have diverged (a split brain): the control plane made the other side primary, and after-sb-1pri
   * never decides that by itself.
   */
  async rejoin(host: HostEntity, volume: VolumeEntity): Promise<void> {
    const name = drbdResourceFor(volume);
    const primaryHost = volume.hostId !== host.id ? await this.hosts.get(volume.hostId) : null;
    let primary: DrbdHost | null = null;
    let res: DrbdResource | null = null;
    let secrets = await this.knownSecret(volume);
    if (primaryHost) {
      try {
        const secret = await this.sharedSecret(volume);
        secrets = [secret];
        primary = await this.drbd(primaryHost, secrets);
        res = await this.resource(volume, primaryHost, host, secret);
        await primary.requireFenceHandler();
      } catch (err) {
        this.logger.warn(`volume ${volume.id}: resource files kept as they are (${(err as Error).message})`);
        primary = null;
        res = null;
      }
    }
    const d = await this.drbd(host, secrets);
    await d.unmount(directoryPath(host, volume));
    let rewritten = false;
    if (primary && res) {
      await d.requireFenceHandler();
      await primary.writeConfig(res);
      rewritten = await d.writeConfig(res);
    }
    const state = await d.status(name);
    if (!state.up)
      await runChecked(await this.connector.executor(host), drbdCmd.up(name), { timeoutMs: 30_000, secrets });
    // Already up with an older file: its disk options (fencing) applied; the reconnection below takes the net ones.
    else if (rewritten) await d.adjust(name);
    await d.demote(name);
    await d.reconnectDiscardingMine(name);
    // The primary takes the new file, and reconnects if a split brain (or an old secret) left it StandAlone.
    if (primary && (await primary.status(name)).up) await primary.adjust(name);
  }

  private async mountHere(host: HostEntity, volume: VolumeEntity, d: DrbdHost): Promise<VolumeMounted> {
    const mount = directoryPath(host, volume);
    await d.mount(drbdDevice(volume.drbdMinor!), mount);
    return mounted(volume, await new HostFilesystems(await this.connector.executor(host)).dataDir(mount));
  }

  private async removeGuard(host: HostEntity, volume: VolumeEntity): Promise<void> {
    // find exits 1 when the mount point is not there at all.
    await runChecked(await this.connector.executor(host), removeGuardCmd(directoryPath(host, volume)), { ok: [1] });
  }

  private async teardown(d: DrbdHost, volume: VolumeEntity): Promise<void> {
    const name = drbdResourceFor(volume);
    await d.down(name);
    await d.removeConfig(name);
    await d.removeBackingLv(DRBD_VG, backingLv(volume));
    await d.clearFence(name);
  }

  /**
   * DRBD runs the fence-peer handler before a disconnected secondary becomes primary, and promotes it only on the
   * handler's answer. The caller made sure the old primary is fenced (or released): the control plane answers for
   * this promotion only, while it runs. A connected promotion (a switchover) asks nothing.
   */
  private async promoteAnswering(d: DrbdHost, name: string, force: boolean): Promise<void> {
    let promoting = true;
    const answering = (async () => {
      while (promoting) {
        await sleep(ANSWER_POLL_MS);
        if (!promoting) return;
        try {
          const token = pendingRequest((await d.fenceMarkers()).get(name));
          if (token && promoting) await d.ackFence(name, token);
        } catch (err) {
          this.logger.warn(`${name}: fence-peer request not answered yet: ${(err as Error).message}`);
        }
      }
    })();
    try {
      await d.promote(name, { force });
    } finally {
      promoting = false;
      await answering;
    }
    // This promotion's request and answer are spent.
    await d.clearFence(name).catch(() => undefined);
  }

  /** The volume's shared secret, made and stored sealed the first time a resource file is rendered. */
  private async sharedSecret(volume: VolumeEntity): Promise<string> {
    let sealed = await this.volumes.getSealedDrbdSecret(volume.id);
    if (!sealed) {
      await this.recorder.recordSealedDrbdSecretIfNone(volume.id, this.secrets.seal(generatePassword(SECRET_LENGTH)));
      sealed = await this.volumes.getSealedDrbdSecret(volume.id);
      if (!sealed) throw new Error('the DRBD shared secret could not be stored');
    }
    return drbdSharedSecret(this.secrets.open(sealed));
  }

  /** The secret when the volume has one, to mask it in command errors; none otherwise. */
  private async knownSecret(volume: VolumeEntity): Promise<string[]> {
    const sealed = await this.volumes.getSealedDrbdSecret(volume.id);
    return sealed ? [this.secrets.open(sealed)] : [];
  }

  private async peerOf(volume: VolumeEntity): Promise<HostEntity> {
    const peer = volume.peerHostId ? await this.hosts.get(volume.peerHostId) : null;
    if (!peer) throw new Error('the volume has no DRBD peer host');
    return peer;
  }

  private async resource(
    volume: VolumeEntity,
    a: HostEntity,
    b: HostEntity,
    sharedSecret: string,
  ): Promise<DrbdResource> {
    if (volume.drbdMinor === null) throw new Error('the volume has no DRBD minor');
    const node = async (h: HostEntity) => {
      if (!h.replicationAddress) throw new Error(`host ${h.name} has no replication address`);
      return {
        hostname: await (await this.drbd(h)).hostname(),
        address: h.replicationAddress,
        disk: `/dev/${DRBD_VG}/${backingLv(volume)}`,
      };
    };
    // In name order: the same file whichever side is primary, so a rejoin rewrites nothing that did not change.
    const nodes = [await node(a), await node(b)].sort((x, y) => (x.hostname < y.hostname ? -1 : 1));
    return {
      name: drbdResourceFor(volume),
      minor: volume.drbdMinor,
      port: DRBD_BASE_PORT + volume.drbdMinor,
      sharedSecret,
      nodes: [nodes[0], nodes[1]],
    };
  }

  private async drbd(host: HostEntity, secrets: string[] = []): Promise<DrbdHost> {
    return new DrbdHost(await this.connector.executor(host), { secrets });
  }
}
