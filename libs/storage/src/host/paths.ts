import type { HostEntity, VolumeEntity } from '@app/persistence/entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SAFE_ROOT = /^\/[A-Za-z0-9._/-]+$/;
const MOUNT_PATH = /^\/[A-Za-z0-9._/-]+$/;

/**
 * Where a volume lives on its host, whatever the driver: `<dataRoot>/<volume uuid>` (the directory itself, or the
 * mount point of its filesystem). Checked so it can never point outside the data root.
 */
export function directoryPath(host: HostEntity, volume: VolumeEntity): string {
  if (!UUID.test(volume.id)) throw new Error('volume id is not a uuid');
  if (!SAFE_ROOT.test(host.dataRoot) || host.dataRoot.split('/').includes('..')) throw new Error('unsafe data root');
  return `${host.dataRoot.replace(/\/+$/, '')}/${volume.id}`;
}

/** A block volume's mount point on `host` and its data directory there (`dataDir`, the host helper's data_dir). */
export function mountedPaths(host: HostEntity, volume: VolumeEntity): { mount: string; hostPath: string } {
  const mount = directoryPath(host, volume);
  return { mount, hostPath: `${mount}/data` };
}

/**
 * Removes the guard a takeover's `stage` lays under an unmounted mount point (an empty file named data): never a
 * directory, never a file with content. Run once the volume is unmounted, before the mount point goes.
 */
export function removeGuardCmd(mount: string): string[] {
  return ['find', safeMountPath(mount), '-maxdepth', '1', '-name', 'data', '-type', 'f', '-empty', '-delete'];
}

/** An absolute path fit for mount, umount and findmnt: plain characters, no '..'. */
export function safeMountPath(path: string): string {
  if (typeof path !== 'string' || !MOUNT_PATH.test(path) || path.split('/').includes('..'))
    throw new Error('unsafe mount path');
  return path;
}
