import type { CommandExecutor } from '@app/domain/ports';
import { iqn } from './iscsi';
import { LIO_HELPER_PY } from './lio-helper';
import { isLvmNotFound, lvmCmd, lvmName, parseLvs, parseVgs, runChecked } from '../host';

export interface LunExport {
  name: string; // LV name on the storage server
  iqn: string;
  sizeGb: number;
  initiators: string[];
  chapUser: string;
  chapPassword: string;
}

/** A LUN's target as the storage server reads it from configfs. */
export interface TargetState {
  exists: boolean;
  initiators?: string[];
  sessions?: string[];
  luns?: { lun: number; device: string }[];
}

/** One storage server: its volume group carved into LVs, each exported as its own iSCSI target by LIO. */
export class SanBackendClient {
  constructor(
    private readonly exec: CommandExecutor,
    private readonly vg: string,
    private readonly portalAddress: string,
    private readonly portalPort: number,
    private readonly thinPool: string | null = null,
  ) {}

  /** Creates the LV if missing and exports it with exactly these initiators allowed (CHAP required). */
  async ensureLun(lun: LunExport): Promise<void> {
    const existing = parseLvs((await runChecked(this.exec, lvmCmd.lvs(this.vg))).stdout).find(
      (l) => l.name === lun.name,
    );
    if (!existing) {
      const create = this.thinPool
        ? lvmCmd.lvcreateThin(this.vg, this.thinPool, lun.name, lun.sizeGb)
        : lvmCmd.lvcreate(this.vg, lun.name, lun.sizeGb);
      await runChecked(this.exec, create);
    }
    await this.lio(
      'ensure-export',
      {
        name: lvmName(lun.name),
        device: `/dev/${this.vg}/${lun.name}`,
        iqn: iqn(lun.iqn),
        portalIp: this.portalAddress,
        portalPort: this.portalPort,
        initiators: lun.initiators.map(iqn),
        chapUser: lun.chapUser,
        chapPassword: lun.chapPassword,
      },
      [lun.chapPassword],
    );
  }

  /** Switches who may log in: the storage-side fence of a failover (the old host is cut off first). */
  /** Sets the LUN's ACL; returns the target as the storage server reads it back afterwards (see `confirmOnly`). */
  async setInitiators(lun: Pick<LunExport, 'iqn' | 'initiators' | 'chapUser' | 'chapPassword'>): Promise<TargetState> {
    return this.lio<TargetState>(
      'set-initiators',
      {
        iqn: iqn(lun.iqn),
        initiators: lun.initiators.map(iqn),
        chapUser: lun.chapUser,
        chapPassword: lun.chapPassword,
      },
      [lun.chapPassword],
    );
  }

  async growLun(name: string, sizeGb: number): Promise<void> {
    const lv = parseLvs((await runChecked(this.exec, lvmCmd.lvs(this.vg))).stdout).find((l) => l.name === name);
    if (lv && lv.sizeBytes >= sizeGb * 2 ** 30) return;
    await runChecked(this.exec, lvmCmd.lvextend(this.vg, name, sizeGb));
  }

  /**
   * A new LUN `name` that is a thin snapshot of LUN `origin`: constant time, no data moves, blocks are shared until
   * either side writes. False when `origin` is not a thin volume (a thick LUN cannot be snapshotted this way).
   * Idempotent: an existing `name` is kept.
   */
  async snapshotLun(
    origin: string,
    name: string,
    beforeSnapshot?: () => Promise<() => Promise<void>>,
  ): Promise<boolean> {
    const lvs = parseLvs((await runChecked(this.exec, lvmCmd.lvs(this.vg))).stdout);
    if (lvs.some((l) => l.name === name)) return true;
    const src = lvs.find((l) => l.name === origin);
    if (!src) throw new Error(`LUN ${origin} not found on the storage server`);
    if (!src.pool) return false;
    const after = beforeSnapshot ? await beforeSnapshot() : null;
    try {
      await runChecked(this.exec, lvmCmd.lvcreateThinSnapshot(this.vg, origin, name));
    } finally {
      if (after) await after();
    }
    return true;
  }

  /** Whether LUN `name` is a thin volume (can be snapshotted in constant time). */
  async isThin(name: string): Promise<boolean> {
    const lv = parseLvs((await runChecked(this.exec, lvmCmd.lvs(this.vg))).stdout).find((l) => l.name === name);
    return !!lv?.pool;
  }

  async removeLun(name: string, lunIqn: string): Promise<void> {
    await this.lio('remove-export', { iqn: iqn(lunIqn), name: lvmName(name) });
    const res = await runChecked(this.exec, lvmCmd.lvremove(this.vg, name), { ok: [5] });
    if (res.exitCode === 5 && !isLvmNotFound(res.stderr)) throw new Error(`lvremove failed: ${res.stderr.trim()}`);
  }

  async describe(lunIqn: string): Promise<TargetState> {
    return this.lio('show', { iqn: iqn(lunIqn) });
  }

  /**
   * The storage-side fence, confirmed by the storage server itself (not by the host being fenced): read back, the
   * LUN's ACL and its logged-in sessions hold no initiator but `allowed`. Throws with what it found otherwise.
   */
  async confirmOnly(lunIqn: string, allowed: string[], readBack?: TargetState): Promise<string> {
    // The read-back of the ACL change itself when there is one (the same configfs, a round trip less).
    const seen = readBack ?? (await this.describe(lunIqn));
    if (!seen.exists) throw new Error(`storage fence not confirmed: the target ${lunIqn} is gone`);
    const stray = [...(seen.initiators ?? []), ...(seen.sessions ?? [])].filter((i) => !allowed.includes(i));
    if (stray.length)
      throw new Error(
        `storage fence not confirmed: the storage server still lets ${[...new Set(stray)].join(', ')} in`,
      );
    return `the storage server lists only ${allowed.join(', ')} on ${lunIqn}`;
  }

  async freeBytes(): Promise<number> {
    const vg = parseVgs((await runChecked(this.exec, lvmCmd.vgs())).stdout).find((v) => v.name === this.vg);
    if (!vg) throw new Error(`volume group ${this.vg} not found on the storage server`);
    return vg.freeBytes;
  }

  private async lio<T = Record<string, unknown>>(
    action: string,
    args: Record<string, unknown>,
    secrets: string[] = [],
  ): Promise<T> {
    // The secrets travel JSON-encoded: mask that spelling too.
    const masked = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
    const res = await runChecked(this.exec, ['python3', '-c', LIO_HELPER_PY, action, JSON.stringify(args)], {
      secrets: masked,
      timeoutMs: 120_000,
    });
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as T;
  }
}
