import type { CommandExecutor } from '../../ports';

/**
 * The block device under a volume, for disk caps (blkio.throttle.* / io.max): the kernel takes them per whole
 * disk, so a partition is replaced by its disk (a partition's major:minor is refused, and the container with it).
 */

const HOST_PATH = /^\/[^\0\n]*$/;
// What findmnt prints for a block-device source, without the "[/subdir]" it appends for a bind mount.
const DEV_PATH = /^\/dev\/(?:[A-Za-z0-9_.:+-]+\/)*[A-Za-z0-9_.:+-]+$/;
const KNAME = /^[A-Za-z0-9_.:+-]+$/;
const TIMEOUT_MS = 15_000;

function hostPath(p: string): string {
  if (typeof p !== 'string' || !HOST_PATH.test(p)) throw new Error(`unsafe host path: ${JSON.stringify(p)}`);
  return p;
}

function devPath(p: string): string {
  if (!DEV_PATH.test(p) || p.split('/').includes('..')) throw new Error(`unsafe device path: ${JSON.stringify(p)}`);
  return p;
}

export const volumeDeviceCmd = {
  findmnt: (path: string) => ['findmnt', '-n', '-o', 'SOURCE', '--target', hostPath(path)],
  lsblk: (device: string) => ['lsblk', '-n', '-d', '-o', 'TYPE,PKNAME', devPath(device)],
};

/** The device in findmnt's SOURCE ("/dev/vda", "/dev/vda[/srv/v1]" for a bind), or null (overlay, tmpfs, nfs). */
export function parseMountSource(out: string): string | null {
  const line = out.trim().split('\n').pop()?.trim() ?? '';
  const source = line.replace(/\[[^\]]*\]$/, '');
  return DEV_PATH.test(source) && !source.split('/').includes('..') ? source : null;
}

export interface VolumeDevice {
  /** The whole disk to cap, e.g. /dev/vda; null when there is none. */
  device: string | null;
  /** Why there is none (for the operation's message and the log). */
  reason: string | null;
}

/**
 * Finds the disk holding `path` on the host. Never throws for what it finds (no block device: no caps, the
 * database runs without them); a failing executor (host unreachable) does throw.
 */
export async function volumeBlockDevice(exec: CommandExecutor, path: string): Promise<VolumeDevice> {
  const mnt = await exec.run(volumeDeviceCmd.findmnt(path), { timeoutMs: TIMEOUT_MS });
  if (mnt.exitCode !== 0) return { device: null, reason: `findmnt found no mount for ${path}` };
  const source = parseMountSource(mnt.stdout);
  if (!source) return { device: null, reason: `${path} is on ${mnt.stdout.trim() || '?'}, not a block device` };
  const blk = await exec.run(volumeDeviceCmd.lsblk(source), { timeoutMs: TIMEOUT_MS });
  const [type = '', parent = ''] = blk.stdout.trim().split(/\s+/);
  if (blk.exitCode !== 0 || !type) return { device: null, reason: `${source} is not a block device` };
  if (type !== 'part') return { device: source, reason: null };
  if (!KNAME.test(parent)) return { device: null, reason: `the disk of partition ${source} is unknown` };
  return { device: `/dev/${parent}`, reason: null };
}
