import type { CommandExecutor } from '@app/domain/ports';
import { mkdirCmd } from './dirs';
import { safeMountPath } from './paths';
import { runChecked } from './run-checked';

/**
 * The filesystem steps every block-device driver needs on a database host, whatever carries the device (a LUN's
 * logical volume, a DRBD resource): is it mounted, unmount, how full, the data directory, freeze and thaw.
 */
export class HostFilesystems {
  constructor(protected readonly exec: CommandExecutor) {}

  async unmount(mountPath: string): Promise<void> {
    safeMountPath(mountPath);
    if (await this.isMounted(mountPath)) await runChecked(this.exec, ['umount', mountPath]);
  }

  async usedBytes(mountPath: string): Promise<number> {
    const res = await runChecked(this.exec, ['df', '-B1', '--output=used', mountPath]);
    return Number(res.stdout.trim().split('\n').pop()) || 0;
  }

  async isMounted(mountPath: string): Promise<boolean> {
    const res = await runChecked(this.exec, ['findmnt', '-n', '-o', 'TARGET', '--mountpoint', mountPath], { ok: [1] });
    return res.exitCode === 0 && res.stdout.trim() === mountPath;
  }

  /**
   * The directory the container gets, inside the mounted filesystem. It exists only while the volume is mounted:
   * a container started on a host where the volume is not (after a reboot) fails instead of running empty.
   */
  async dataDir(mountPath: string): Promise<string> {
    if (!(await this.isMounted(mountPath))) throw new Error(`${mountPath} is not mounted`);
    const dir = `${mountPath}/data`;
    await runChecked(this.exec, mkdirCmd(dir));
    return dir;
  }

  /**
   * Freezes the filesystem mounted at `mountPath` (writers block, everything written is on the disk) so that a
   * block-level snapshot taken elsewhere holds a clean filesystem. A watchdog on the host thaws it after
   * `maxSeconds` whatever happens to us: a worker that dies here must not leave a tenant's database stalled.
   */
  async freeze(mountPath: string, maxSeconds: number): Promise<void> {
    safeMountPath(mountPath);
    if (!Number.isInteger(maxSeconds) || maxSeconds < 1 || maxSeconds > 300) throw new Error('invalid freeze bound');
    // A fixed script; the path and the bound are its positional arguments, never spliced into it. FIFREEZE
    // freezes whatever filesystem holds the path: were the volume not mounted, that would be the host's root.
    const script =
      'findmnt --mountpoint "$1" >/dev/null || { echo "$1 is not a mount point" >&2; exit 3; }; ' +
      'fsfreeze --freeze "$1" || exit 1; ' +
      '( sleep "$2"; fsfreeze --unfreeze "$1" ) </dev/null >/dev/null 2>&1 & exit 0';
    await runChecked(this.exec, ['sh', '-c', script, 'dbaas-freeze', mountPath, String(maxSeconds)]);
  }

  /** Thaws a frozen filesystem; one that is not frozen (already thawed by the watchdog) is fine. */
  async thaw(mountPath: string): Promise<void> {
    safeMountPath(mountPath);
    const res = await runChecked(this.exec, ['fsfreeze', '--unfreeze', mountPath], { ok: [1] });
    if (res.exitCode === 1 && !/Invalid argument/i.test(res.stderr))
      throw new Error(`fsfreeze --unfreeze failed: ${res.stderr.trim()}`);
  }
}
