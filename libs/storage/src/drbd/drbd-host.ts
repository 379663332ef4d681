import type { CommandExecutor, CommandResult, RunOptions } from '@app/domain/ports';
import { CommandFailed, devicePath, isLvmNotFound, lvmCmd, mkdirCmd, runChecked, safeMountPath } from '../host';
import { type DrbdResource, drbdCmd, drbdHostname, drbdResourceName, renderResource, resFilePath } from './drbd';
import {
  ConnectionState,
  cstateOf,
  DiskState,
  isDrbdNotUp,
  isNoMetadata,
  parseCstate,
  parseDstate,
  parseRole,
  Role,
} from './drbd-state';
import { type FenceMarkers, fenceCmd, fenceToken, parseFenceMarkers } from './fence';

/** Per-command time limits. */
// A refused disconnect (exit 10) of a resource still connecting by itself: tried again for up to ~10 s.
const DISCONNECT_TRIES = 20;
const DISCONNECT_RETRY_MS = 500;
const T = { drbd: 30_000, createMd: 60_000, lvm: 60_000, fs: 30_000, mkfs: 120_000, mount: 120_000 };
const POLL_MS = 200;

export interface DrbdStatus {
  /** False when the kernel has no such resource (or only an unconfigured minor left by a failed `up`). */
  up: boolean;
  role?: { local: Role; peer: Role };
  cstate?: ConnectionState;
  dstate?: { local: DiskState; peer: DiskState };
}

/**
 * The DRBD steps on a database host: backing LV, resource file, metadata, up/down, roles, filesystem and mount.
 * Each method is idempotent: it looks first and only changes what differs.
 *
 * `secrets` (the resource's shared secret) are masked in every command's errors: drbdadm prints the drbdsetup
 * command lines it ran, net options included, when one fails.
 */
export class DrbdHost {
  private readonly exec: CommandExecutor;

  constructor(exec: CommandExecutor, opts: { secrets?: string[] } = {}) {
    const secrets = (opts.secrets ?? []).filter(Boolean);
    this.exec = secrets.length
      ? {
          run: (argv: readonly string[], o: RunOptions = {}) =>
            exec.run(argv, { ...o, secrets: [...(o.secrets ?? []), ...secrets] }),
          spawn: (argv, o = {}) => exec.spawn(argv, { ...o, secrets: [...(o.secrets ?? []), ...secrets] }),
        }
      : exec;
  }

  /** The name DRBD matches against the `on <host>` sections. */
  async hostname(): Promise<string> {
    return drbdHostname((await runChecked(this.exec, drbdCmd.uname(), { timeoutMs: T.fs })).stdout.trim());
  }

  /** A plain LV for DRBD to replicate (old signatures wiped); an existing one is kept as it is. */
  async ensureBackingLv(vg: string, lv: string, sizeGb: number): Promise<string> {
    const res = await runChecked(this.exec, drbdCmd.lvcreateBacking(vg, lv, sizeGb), { ok: [5], timeoutMs: T.lvm });
    if (res.exitCode === 5 && !/already exists/i.test(res.stderr)) throw new CommandFailed('lvcreate', res);
    return devicePath(`/dev/${vg}/${lv}`);
  }

  /** Removes the LV; a missing one is done. An LV still held by DRBD ("used by another device") is an error. */
  async removeBackingLv(vg: string, lv: string): Promise<void> {
    const res = await runChecked(this.exec, lvmCmd.lvremove(vg, lv), { ok: [5], timeoutMs: T.lvm });
    if (res.exitCode === 5 && !isLvmNotFound(res.stderr)) throw new Error(`lvremove failed: ${res.stderr.trim()}`);
  }

  /** Writes /etc/drbd.d/<name>.res when its contents differ (or it is missing). Returns whether it wrote. */
  async writeConfig(r: DrbdResource): Promise<boolean> {
    const text = renderResource(r);
    const path = resFilePath(r.name);
    // The file holds the shared secret: masked in whatever these commands report.
    const secrets = [r.sharedSecret];
    const cur = await runChecked(this.exec, drbdCmd.readFile(path), { ok: [1], timeoutMs: T.fs, secrets });
    // Executors may strip the final newline of stdout.
    if (cur.exitCode === 0 && cur.stdout.trimEnd() === text.trimEnd()) return false;
    await runChecked(this.exec, drbdCmd.writeFile(path), { input: text, timeoutMs: T.fs, secrets });
    return true;
  }

  /** The fence-peer handler the resource files name must be there: without it a lone primary freezes for good. */
  async requireFenceHandler(): Promise<void> {
    const res = await this.exec.run(fenceCmd.handlerInstalled(), { timeoutMs: T.fs });
    if (res.exitCode !== 0)
      throw new Error('the DRBD fence-peer handler is not installed on this host (ansible/playbooks/db-host.yml)');
  }

  /** The fence-peer markers on this host, by resource name. */
  async fenceMarkers(): Promise<Map<string, FenceMarkers>> {
    // Exit 1: no marker; 2: no directory yet (nothing asked).
    const res = await runChecked(this.exec, fenceCmd.readMarkers(), { ok: [1, 2], timeoutMs: T.fs });
    return parseFenceMarkers(res.stdout);
  }

  /** Answers the handler's request `token`: it exits 4 and DRBD goes on. */
  async ackFence(name: string, token: string): Promise<void> {
    await runChecked(this.exec, fenceCmd.writeAck(name), { input: `${fenceToken(token)}\n`, timeoutMs: T.fs });
  }

  async clearFence(name: string): Promise<void> {
    await runChecked(this.exec, fenceCmd.clear(name), { timeoutMs: T.fs });
  }

  /** Applies the resource file to the running resource; reconnects one left StandAlone (split brain, bad secret). */
  async adjust(name: string): Promise<void> {
    await runChecked(this.exec, drbdCmd.adjust(name), { timeoutMs: T.drbd });
  }

  /** Marks this copy Outdated. DRBD refuses it while connected, and on a primary. */
  async outdate(name: string): Promise<void> {
    await runChecked(this.exec, drbdCmd.outdate(name), { timeoutMs: T.drbd });
  }

  /**
   * Reconnects as the side to be overwritten should the peers have diverged (split brain): a returning host whose
   * copy the control plane replaced by the other side's. Without a split brain, an ordinary (re)connection.
   */
  async reconnectDiscardingMine(name: string): Promise<void> {
    // A StandAlone copy (a split brain dropped the connection) has nothing to disconnect: drbd-utils 9 in 8.4 mode
    // refuses it ("unknown connection", exit 10). A resource just brought up is busy connecting on its own: its
    // state change is refused (exit 10) for a moment, so that one is tried again, briefly. Both seen in the VM lab
    // on a returning old primary.
    for (let tries = 1; ; tries++) {
      const cstate = await runChecked(this.exec, drbdCmd.cstate(name), { timeoutMs: T.drbd });
      if (parseCstate(cstate.stdout) === ConnectionState.StandAlone) break;
      const res = await runChecked(this.exec, drbdCmd.disconnect(name), { timeoutMs: T.drbd, ok: [10] });
      if (res.exitCode === 0) break;
      if (tries >= DISCONNECT_TRIES) throw new CommandFailed('drbdadm', res);
      await new Promise((r) => setTimeout(r, DISCONNECT_RETRY_MS));
    }
    await runChecked(this.exec, drbdCmd.connectDiscardingMine(name), { timeoutMs: T.drbd });
  }

  /** Removes the resource file. Take the resource down first: drbdadm knows no resource without its file. */
  async removeConfig(name: string): Promise<void> {
    await runChecked(this.exec, drbdCmd.removeFile(resFilePath(name)), { timeoutMs: T.fs });
  }

  async status(name: string): Promise<DrbdStatus> {
    const role = await this.exec.run(drbdCmd.role(name), { timeoutMs: T.drbd });
    if (isDrbdNotUp(role)) return { up: false };
    // dstate must not be asked of a resource that is down: drbdadm then reads the disk's metadata instead.
    const cstate = await runChecked(this.exec, drbdCmd.cstate(name), { timeoutMs: T.drbd });
    const dstate = await runChecked(this.exec, drbdCmd.dstate(name), { timeoutMs: T.drbd });
    return {
      up: true,
      role: parseRole(role.stdout),
      cstate: parseCstate(cstate.stdout),
      dstate: parseDstate(dstate.stdout),
    };
  }

  /**
   * Brings the resource up. Already up: `adjust` applies any change of the resource file. Down: `up`, and when
   * that fails for want of metadata (a new backing LV), create-md then `up` once more. create-md is never run on
   * a resource that is up, nor after any other failure (it would throw away the disk's generation identifiers).
   */
  async ensureUp(r: DrbdResource): Promise<void> {
    if ((await this.status(r.name)).up) {
      await runChecked(this.exec, drbdCmd.adjust(r.name), { timeoutMs: T.drbd });
      return;
    }
    const first = await this.exec.run(drbdCmd.up(r.name), { timeoutMs: T.drbd });
    if (first.exitCode === 0) return;
    if (!isNoMetadata(first.stderr)) throw new CommandFailed('drbdadm', first);
    await runChecked(this.exec, drbdCmd.createMd(r.name), { input: 'yes\n', timeoutMs: T.createMd });
    await runChecked(this.exec, drbdCmd.up(r.name), { timeoutMs: T.drbd });
  }

  /** Polls the connection state until Connected; false when `timeoutMs` passes first. */
  async waitConnected(name: string, timeoutMs: number): Promise<boolean> {
    drbdResourceName(name);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.exec.run(drbdCmd.cstate(name), { timeoutMs: T.drbd });
      if (res.exitCode === 0 && cstateOf(res.stdout) === ConnectionState.Connected) return true;
      if (Date.now() + POLL_MS > deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Both sides new and empty (Inconsistent/Inconsistent) and connected: declares them in sync, skipping the full
   * initial resync. Anything else is left alone. Returns whether it did.
   */
  async skipInitialSync(name: string): Promise<boolean> {
    const s = await this.status(name);
    if (
      !s.up ||
      s.cstate !== ConnectionState.Connected ||
      s.dstate?.local !== DiskState.Inconsistent ||
      s.dstate.peer !== DiskState.Inconsistent
    )
      return false;
    await runChecked(this.exec, drbdCmd.newCurrentUuidClearBitmap(name), { timeoutMs: T.drbd });
    return true;
  }

  /** Primary (no-op when it already is). `force` only for the first promotion of a new, Inconsistent volume. */
  async promote(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const s = await this.status(name);
    if (!s.up) throw new Error(`DRBD resource ${name} is not up`);
    if (s.role?.local === Role.Primary) return;
    await runChecked(this.exec, opts.force ? drbdCmd.primaryForce(name) : drbdCmd.primary(name), {
      timeoutMs: T.drbd,
    });
  }

  /** Secondary; no-op when it already is or the resource is down. Fails while the device is mounted. */
  async demote(name: string): Promise<void> {
    const s = await this.status(name);
    if (!s.up || s.role?.local === Role.Secondary) return;
    await runChecked(this.exec, drbdCmd.secondary(name), { timeoutMs: T.drbd });
  }

  /**
   * ext4 on the device unless it already has a filesystem; returns whether it made one. The probe is blkid -p
   * (no cache: the peer may have written the filesystem). On a Secondary the probe fails with "Wrong medium
   * type", which is an error here, not a blank device.
   */
  async ensureFilesystem(device: string): Promise<boolean> {
    devicePath(device);
    const probe = await runChecked(this.exec, ['blkid', '-p', '-o', 'value', '-s', 'TYPE', device], {
      ok: [2],
      timeoutMs: T.fs,
    });
    if (probe.exitCode === 0 && probe.stdout.trim() !== '') return false;
    if (probe.exitCode === 2 && probe.stderr.trim() !== '') throw new CommandFailed('blkid', probe);
    // No discard and no zeroing: on DRBD both become writes of the whole device, replicated to the peer (the
    // lab measured 1.1 GB of writes behind a 1 GB volume, slowing the first start by minutes). Uninitialised
    // inode tables are flagged as such (uninit_bg), and mount skips zeroing them in the background.
    await runChecked(
      this.exec,
      ['mkfs.ext4', '-q', '-F', '-E', 'nodiscard,lazy_itable_init=1,lazy_journal_init=1', device],
      { timeoutMs: T.mkfs },
    );
    return true;
  }

  /** Mounts `device` at `path` (creating the directory); no-op when it is mounted there already. */
  async mount(device: string, path: string): Promise<void> {
    safeMountPath(path);
    devicePath(device);
    const cur = await this.mountedAt(path);
    if (cur === device) return;
    if (cur !== null) throw new Error(`${path} already has ${cur} mounted`);
    await runChecked(this.exec, mkdirCmd(path), { timeoutMs: T.fs });
    await runChecked(this.exec, ['mount', '-o', 'noatime,noinit_itable', device, path], { timeoutMs: T.mount });
  }

  /** Unmounts `path`; no-op when nothing is mounted there. */
  async unmount(path: string): Promise<void> {
    safeMountPath(path);
    if ((await this.mountedAt(path)) !== null) await runChecked(this.exec, ['umount', path], { timeoutMs: T.mount });
  }

  /** Takes the resource down; no-op when it is not up. Fails while the device is open (mounted). */
  async down(name: string): Promise<void> {
    if (!(await this.status(name)).up) return;
    await runChecked(this.exec, drbdCmd.down(name), { timeoutMs: T.drbd });
  }

  /** The source mounted exactly at `path`, or null. */
  private async mountedAt(path: string): Promise<string | null> {
    const res: CommandResult = await runChecked(
      this.exec,
      ['findmnt', '-n', '-o', 'TARGET,SOURCE', '--mountpoint', path],
      { ok: [1], timeoutMs: T.fs },
    );
    if (res.exitCode !== 0) return null;
    const [target, source] = (res.stdout.trim().split('\n')[0] ?? '').trim().split(/\s+/);
    return target === path && source ? source : null;
  }
}
