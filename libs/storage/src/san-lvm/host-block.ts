import {
  devicePath,
  HostFilesystems,
  isLvmNotFound,
  lvmCmd,
  mkdirCmd,
  parseLvs,
  parsePvs,
  parseVgs,
  removeGuardCmd,
  runChecked,
  safeMountPath,
} from '../host';
import { ISCSI_NO_OBJECTS, ISCSI_SESSION_EXISTS, iscsiCmd, parseInitiatorName, parseSessions } from './iscsi';

export interface Attachment {
  iqn: string;
  portal: string; // ip:port
  chapUser: string;
  chapPassword: string;
}

/**
 * The block-storage steps on a database host: iSCSI sessions, LVM on the LUN, filesystems and mounts (the common
 * filesystem steps come from the shared host helpers).
 */
export class HostBlockDevices extends HostFilesystems {
  async initiatorName(): Promise<string> {
    return parseInitiatorName((await runChecked(this.exec, ['cat', '/etc/iscsi/initiatorname.iscsi'])).stdout);
  }

  /** Logs in to the LUN's target (idempotent) and returns its disk, e.g. /dev/sdb. */
  async attach(a: Attachment): Promise<string> {
    const existing = await this.diskOf(a.iqn);
    if (existing) return existing;
    await runChecked(this.exec, iscsiCmd.discover(a.portal));
    await runChecked(this.exec, iscsiCmd.nodeUpdate(a.iqn, a.portal, 'node.session.auth.authmethod', 'CHAP'));
    await runChecked(this.exec, iscsiCmd.nodeUpdate(a.iqn, a.portal, 'node.session.auth.username', a.chapUser));
    await runChecked(this.exec, iscsiCmd.nodeUpdate(a.iqn, a.portal, 'node.session.auth.password', a.chapPassword), {
      secrets: [a.chapPassword],
    });
    // Logged in again automatically when the host reboots.
    await runChecked(this.exec, iscsiCmd.nodeUpdate(a.iqn, a.portal, 'node.startup', 'automatic'));
    await runChecked(this.exec, iscsiCmd.login(a.iqn, a.portal), { ok: [ISCSI_SESSION_EXISTS] });
    // The SCSI disk appears a moment after the login.
    for (let i = 0; i < 100; i++) {
      const disk = await this.diskOf(a.iqn);
      if (disk) return disk;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`logged in to ${a.iqn} but no disk appeared`);
  }

  async detach(a: Pick<Attachment, 'iqn' | 'portal'>): Promise<void> {
    await runChecked(this.exec, iscsiCmd.logout(a.iqn, a.portal), { ok: [ISCSI_NO_OBJECTS] });
    await runChecked(this.exec, iscsiCmd.nodeDelete(a.iqn, a.portal), { ok: [ISCSI_NO_OBJECTS] });
  }

  async rescan(a: Pick<Attachment, 'iqn' | 'portal'>, disk: string): Promise<void> {
    await runChecked(this.exec, iscsiCmd.rescan(a.iqn, a.portal));
    await runChecked(this.exec, lvmCmd.pvresize(disk));
  }

  async diskOf(targetIqn: string): Promise<string | null> {
    const res = await runChecked(this.exec, iscsiCmd.sessions(), { ok: [ISCSI_NO_OBJECTS] });
    const s = parseSessions(res.stdout).find((x) => x.target === targetIqn);
    return s?.disk ? `/dev/${s.disk}` : null;
  }

  /** One volume group per LUN: created on first use, activated when it arrives from another host. */
  async ensureVg(vg: string, disk: string): Promise<void> {
    const pv = parsePvs((await runChecked(this.exec, lvmCmd.pvs())).stdout).find((p) => p.name === devicePath(disk));
    if (!pv) {
      await runChecked(this.exec, lvmCmd.pvcreate(disk));
      await runChecked(this.exec, lvmCmd.vgcreate(vg, disk));
    } else if (!pv.vg) {
      await runChecked(this.exec, lvmCmd.vgcreate(vg, disk));
    } else if (pv.vg !== vg) {
      throw new Error(`${disk} belongs to volume group ${pv.vg}, not ${vg}`);
    }
    await runChecked(this.exec, lvmCmd.vgchange(vg, true));
  }

  async vgFreeBytes(vg: string): Promise<{ free: number; lvs: number } | null> {
    const g = parseVgs((await runChecked(this.exec, lvmCmd.vgs())).stdout).find((v) => v.name === vg);
    return g ? { free: g.freeBytes, lvs: g.lvCount } : null;
  }

  async removeVg(vg: string, disk: string | null): Promise<void> {
    const res = await runChecked(this.exec, lvmCmd.vgremove(vg), { ok: [5] });
    if (res.exitCode === 5 && !isLvmNotFound(res.stderr)) throw new Error(`vgremove failed: ${res.stderr.trim()}`);
    if (disk) await runChecked(this.exec, lvmCmd.pvremove(disk), { ok: [5] });
  }

  async deactivateVg(vg: string): Promise<void> {
    await runChecked(this.exec, lvmCmd.vgchange(vg, false), { ok: [5] });
  }

  /** The logical volume, with an ext4 filesystem on it, mounted at `mountPath`. Each step skips what exists. */
  async ensureVolume(vg: string, lv: string, sizeGb: number, mountPath: string): Promise<string> {
    safeMountPath(mountPath);
    const lvs = parseLvs((await runChecked(this.exec, lvmCmd.lvs(vg))).stdout);
    if (!lvs.some((l) => l.name === lv)) await runChecked(this.exec, lvmCmd.lvcreate(vg, lv, sizeGb));
    const device = `/dev/${vg}/${lv}`;
    const fs = await runChecked(this.exec, ['blkid', '-o', 'value', '-s', 'TYPE', device], { ok: [2] });
    // lazy init: the inode tables are zeroed in the background, so creation does not scale with the size.
    if (fs.stdout.trim() === '')
      await runChecked(this.exec, ['mkfs.ext4', '-q', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', device]);
    if (!(await this.isMounted(mountPath))) {
      await runChecked(this.exec, mkdirCmd(mountPath));
      await runChecked(this.exec, ['mount', '-o', 'noatime', device, mountPath]);
    }
    return device;
  }

  async growVolume(vg: string, lv: string, sizeGb: number): Promise<void> {
    const cur = parseLvs((await runChecked(this.exec, lvmCmd.lvs(vg))).stdout).find((l) => l.name === lv);
    if (!cur) throw new Error(`logical volume ${vg}/${lv} not found`);
    if (cur.sizeBytes < sizeGb * 2 ** 30) await runChecked(this.exec, lvmCmd.lvextend(vg, lv, sizeGb));
    // Online: ext4 grows while mounted. Idempotent (nothing to do when already at the LV's size).
    await runChecked(this.exec, ['resize2fs', `/dev/${vg}/${lv}`]);
  }

  async removeVolume(vg: string, lv: string, mountPath: string): Promise<void> {
    safeMountPath(mountPath);
    if (await this.isMounted(mountPath)) await runChecked(this.exec, ['umount', mountPath]);
    // A takeover's guard goes with its mount point (find exits 1 when the mount point is gone already).
    await runChecked(this.exec, removeGuardCmd(mountPath), { ok: [1] });
    await runChecked(this.exec, ['rmdir', '--ignore-fail-on-non-empty', '--', mountPath], { ok: [1] });
    const res = await runChecked(this.exec, lvmCmd.lvremove(vg, lv), { ok: [5] });
    if (res.exitCode === 5 && !isLvmNotFound(res.stderr)) throw new Error(`lvremove failed: ${res.stderr.trim()}`);
  }

  /**
   * A snapshot of `vg/lv` mounted at `mountPath`: mounted read-write so ext4 replays its journal, which makes the
   * instant's data exactly what a crash would have left. An older snapshot of the same name is replaced.
   */
  async mountSnapshot(vg: string, lv: string, snap: string, cowMb: number, mountPath: string): Promise<void> {
    safeMountPath(mountPath);
    await this.removeSnapshot(vg, snap, mountPath);
    await runChecked(this.exec, lvmCmd.lvcreateSnapshot(vg, lv, snap, cowMb));
    await runChecked(this.exec, mkdirCmd(mountPath));
    await runChecked(this.exec, ['mount', '-o', 'noatime', `/dev/${vg}/${snap}`, mountPath]);
  }

  async removeSnapshot(vg: string, snap: string, mountPath: string): Promise<void> {
    safeMountPath(mountPath);
    if (await this.isMounted(mountPath)) await runChecked(this.exec, ['umount', mountPath]);
    await runChecked(this.exec, ['rmdir', '--ignore-fail-on-non-empty', '--', mountPath], { ok: [1] });
    const res = await runChecked(this.exec, lvmCmd.lvremove(vg, snap), { ok: [5] });
    if (res.exitCode === 5 && !isLvmNotFound(res.stderr)) throw new Error(`lvremove failed: ${res.stderr.trim()}`);
  }

  async removeVolumesExcept(vg: string, keep: string): Promise<void> {
    for (const lv of parseLvs((await runChecked(this.exec, lvmCmd.lvs(vg))).stdout))
      if (lv.name !== keep) await runChecked(this.exec, lvmCmd.lvremove(vg, lv.name));
  }

  /**
   * A disk that is a block copy of another LUN (a storage-side snapshot) carries that LUN's PV and VG UUIDs and
   * its VG name. It is given its own (`vg`, new UUIDs) before anything uses it, so it can live on the same host as
   * the original. Idempotent: a disk already in `vg` is left alone.
   */
  async importClone(vg: string, disk: string): Promise<void> {
    const pvs = parsePvs((await runChecked(this.exec, lvmCmd.pvs())).stdout);
    const pv = pvs.find((p) => p.name === devicePath(disk));
    if (pv?.vg === vg) return;
    if (pv?.vg) {
      // On a host without the original, udev's auto-activation has brought the copy up under the source's VG
      // name; it must be inactive to be imported. Only ever a VG on this disk alone: never someone else's.
      if (pvs.some((p) => p.vg === pv.vg && p.name !== pv.name))
        throw new Error(`${disk} is in volume group ${pv.vg} together with other disks; not importing it`);
      await runChecked(this.exec, lvmCmd.vgchange(pv.vg, false));
    }
    await runChecked(this.exec, lvmCmd.vgimportclone(vg, disk));
  }

  async renameVolume(vg: string, from: string, to: string): Promise<void> {
    const lvs = parseLvs((await runChecked(this.exec, lvmCmd.lvs(vg))).stdout);
    if (lvs.some((l) => l.name === to)) return;
    if (!lvs.some((l) => l.name === from)) throw new Error(`logical volume ${vg}/${from} not found`);
    await runChecked(this.exec, lvmCmd.lvrename(vg, from, to));
  }
}
