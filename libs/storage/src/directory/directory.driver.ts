import { Inject, Injectable, Logger } from '@nestjs/common';
import { HOST_CONNECTOR, HostConnector, SizeHold, StorageDriver, VolumeUsage } from '@app/domain/ports';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { directoryPath, mkdirCmd } from '../host';

/** A filesystem project id: what `chattr -p` and `setquota -P` take (0 is the default project, never ours). */
const MAX_PROJECT = 4_294_967_294;

/**
 * Room the filesystem leaves above the plan: the platform makes the database read-only at 100 % of it (measured),
 * and the engine still needs a little to get there cleanly (PostgreSQL's shutdown checkpoint and promotion, InnoDB's
 * redo). The hard stop is for writers faster than the measurement.
 */
export function hardLimitKb(sizeGb: number): number {
  const bytes = sizeGb * 2 ** 30;
  return Math.ceil((bytes + Math.max(bytes * 0.1, 64 * 2 ** 20)) / 1024);
}

/** Whether a mount (as findmnt names it) enforces project quotas: XFS with `prjquota`/`pquota`, ext4 with `prjquota`. */
export function enforcesProjectQuota(fstype: string, options: string): boolean {
  const opts = options.split(',');
  if (fstype === 'xfs') return opts.includes('prjquota') || opts.includes('pquota');
  if (fstype === 'ext4') return opts.includes('prjquota');
  return false;
}

/** The mount findmnt -J names, or null when its output is not that. */
export function parseFindmnt(out: string): { target: string; fstype: string; options: string } | null {
  try {
    const fs = (JSON.parse(out) as { filesystems?: { target?: unknown; fstype?: unknown; options?: unknown }[] })
      .filesystems?.[0];
    if (typeof fs?.target !== 'string' || typeof fs.fstype !== 'string' || typeof fs.options !== 'string') return null;
    return { target: fs.target, fstype: fs.fstype, options: fs.options };
  } catch {
    return null;
  }
}

/** `lsattr -pd` prints `<project> <flags> <path>`: the project id, or null. */
export function parseProject(lsattr: string): number | null {
  const m = /^\s*(\d+)\s+\S+\s/.exec(lsattr);
  return m ? Number(m[1]) : null;
}

/**
 * Directory volumes under the host's data root: the embedded default. Where the data root's filesystem enforces
 * project quotas (XFS, or ext4 mounted with `prjquota`), each volume is a project of its own with a hard limit a
 * little above its size; elsewhere the size is only measured (du), and the platform holds it by making the
 * database read-only when the measurement reaches it.
 */
@Injectable()
export class DirectoryStorageDriver implements StorageDriver {
  readonly name = 'directory';
  private readonly logger = new Logger(DirectoryStorageDriver.name);

  constructor(@Inject(HOST_CONNECTOR) private readonly connector: HostConnector) {}

  async ensure(host: HostEntity, volume: VolumeEntity): Promise<{ hostPath: string; sizeHeldBy: SizeHold }> {
    const path = directoryPath(host, volume);
    await this.check(host, mkdirCmd(path));
    // Before the engine writes its first byte (new files inherit the directory's project).
    return { hostPath: path, sizeHeldBy: await this.holdSize(host, volume) };
  }

  /** The filesystem's limit follows the plan (a plain directory has nothing else to grow). */
  async grow(host: HostEntity, volume: VolumeEntity, sizeGb: number): Promise<void> {
    await this.holdSize(host, { ...volume, sizeGb });
  }

  /**
   * Puts the volume under a project quota of its size when its filesystem enforces them ('filesystem'), else
   * nothing ('measured'). Idempotent and cheap once done: a volume made before (or whose files lost their project,
   * e.g. copied in by a restore) is given its project again, every file of it. A failure (no `setquota` on the host)
   * leaves the volume measured, and says why in the log.
   */
  async holdSize(host: HostEntity, volume: VolumeEntity): Promise<SizeHold> {
    const path = directoryPath(host, volume);
    const out = await this.check(host, ['findmnt', '-n', '-J', '-o', 'TARGET,FSTYPE,OPTIONS', '--target', path]);
    const fs = parseFindmnt(out);
    if (!fs || !enforcesProjectQuota(fs.fstype, fs.options)) return 'measured';
    const id = volume.quotaProject;
    if (!Number.isInteger(id) || id < 1 || id > MAX_PROJECT) throw new Error('the volume has no valid project id');
    try {
      const project = parseProject(await this.check(host, ['lsattr', '-pd', '--', path]));
      if (project !== id) {
        // Directories carry the project to what is made in them (+P); files already there get it too.
        await this.check(host, [
          'find',
          path,
          '-xdev',
          '-type',
          'd',
          '-exec',
          'chattr',
          '+P',
          '-p',
          String(id),
          '{}',
          '+',
        ]);
        await this.check(host, ['find', path, '-xdev', '-type', 'f', '-exec', 'chattr', '-p', String(id), '{}', '+']);
      }
      const hard = String(hardLimitKb(volume.sizeGb));
      await this.check(host, ['setquota', '-P', String(id), '0', hard, '0', '0', fs.target]);
      return 'filesystem';
    } catch (err) {
      this.logger.warn(
        `${host.name}: no project quota for ${path} (${fs.fstype} at ${fs.target}): ${(err as Error).message}`,
      );
      return 'measured';
    }
  }

  async remove(host: HostEntity, volume: VolumeEntity): Promise<void> {
    await this.check(host, ['rm', '-rf', '--one-file-system', '--', directoryPath(host, volume)]);
  }

  async usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage> {
    const out = await this.check(host, ['du', '-sb', '--', directoryPath(host, volume)]);
    return { usedBytes: Number(out.split(/\s+/)[0]) || 0 };
  }

  private async check(host: HostEntity, argv: string[]): Promise<string> {
    const exec = await this.connector.executor(host);
    const res = await exec.run(argv, { timeoutMs: 120_000 });
    if (res.exitCode !== 0) throw new Error(`${argv[0]} exited with ${res.exitCode}: ${res.stderr.split('\n')[0]}`);
    return res.stdout;
  }
}
