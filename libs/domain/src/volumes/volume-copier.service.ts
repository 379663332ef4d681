import { PassThrough } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TransferProgress, VolumeEntity } from '@app/persistence/entities';
import { containerName } from '../databases/runtime/container-spec';
import type { Loaded } from '../databases/runtime/database-runtime.service';
import type { OperationContext } from '../operations/operation-context';
import {
  SyncResult,
  TREE_SYNC,
  TreeLocation,
  TreeSync,
  HOST_CONNECTOR,
  HostConnector,
  STORAGE_DRIVERS,
  StorageDrivers,
  VolumeSnapshot,
} from '../ports';

/** How a copy was made consistent: an LVM snapshot (the database never stops), or a frozen final pass. */
// A driver's snapshot names its own method ('lvm-snapshot').
export type CopyMethod = VolumeSnapshot['method'] | 'frozen-copy';

export interface CopyOutcome {
  method: CopyMethod;
  /** frozen-copy: how long the database's processes were frozen for the final pass. */
  frozenMs: number | null;
  passes: SyncResult[];
}

/** Maps a bulk copy's progress onto the operation: its transfer counters, and a percentage within [from, to]. */
export function reportTo(
  op: OperationContext,
  from: number,
  to: number,
  label: string,
): (p: TransferProgress) => Promise<void> {
  return async (p: TransferProgress) => {
    const frac = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.filesTotal > 0 ? p.filesDone / p.filesTotal : 0;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    await op.progress(
      from + (to - from) * Math.min(1, frac),
      `${label}: ${p.filesDone}/${p.filesTotal} files, ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MiB`,
      { ...p, phase: `${label}: ${p.phase}` },
    );
  };
}

/** A short, stable name for a job's temporary things (snapshots, staging copies): a retry reuses and replaces them. */
export const tagFor = (operationId: string) => operationId.replace(/-/g, '').slice(0, 16);

/**
 * Copies a running database's data, consistent at one instant, with the file-level sync (only what differs moves).
 * With an LVM snapshot the database never stops. Otherwise (directory and DRBD volumes) a first pass copies the live
 * files (then catches up once), then the container is frozen (docker pause: the processes stop, their connections
 * stay open) while a final pass moves what changed meanwhile: the result is what a power cut at that instant would
 * have left on disk, which every engine recovers from with its own journal (WAL, redo log, AOF), as after a crash.
 */
@Injectable()
export class VolumeCopier {
  private readonly logger = new Logger(VolumeCopier.name);

  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(TREE_SYNC) private readonly sync: TreeSync,
  ) {}

  async tree(source: Loaded): Promise<TreeLocation> {
    if (!source.volume.path) throw new Error('the volume has no path yet');
    return {
      exec: await this.connector.executor(source.host),
      root: source.volume.path,
      label: `${source.host.name}:${source.volume.path}`,
    };
  }

  async copyConsistent(
    source: Loaded,
    target: TreeLocation,
    tag: string,
    onProgress: (p: TransferProgress) => Promise<void>,
  ): Promise<CopyOutcome> {
    const snap = await this.onSnapshot(source, tag, (from) => this.sync.syncTree(from, target, { onProgress }));
    if (snap) return { method: snap.method, frozenMs: null, passes: [snap.result] };
    return this.frozenCopy(source, target, onProgress);
  }

  /**
   * A consistent tar.gz of the data, written by `write` (which consumes the stream). Snapshot: archived straight
   * from it. Otherwise a frozen copy is made beside the volume first (the database is frozen only for the copy's
   * final pass, not for the archive), archived, then removed.
   */
  async archiveConsistent(
    source: Loaded,
    tag: string,
    onProgress: (p: TransferProgress) => Promise<void>,
    write: (stream: NodeJS.ReadableStream) => Promise<{ bytes: number }>,
  ): Promise<{ method: CopyMethod; frozenMs: number | null; files: number; bytes: number }> {
    const snap = await this.onSnapshot(source, tag, (from) => this.archive(from, onProgress, write));
    if (snap) return { method: snap.method, frozenMs: null, ...snap.result };
    const exec = await this.connector.executor(source.host);
    const staging: TreeLocation = { exec, root: stagingPath(source.volume, tag), label: 'staging copy' };
    try {
      const copy = await this.frozenCopy(source, staging, onProgress);
      const r = await this.archive(staging, onProgress, write);
      return { method: copy.method, frozenMs: copy.frozenMs, ...r };
    } finally {
      await this.sync
        .removePath(staging, staging.root)
        .catch((err) => this.logger.warn(`staging removal: ${(err as Error).message}`));
    }
  }

  /** Runs `use` on a snapshot of the volume, dropped afterwards; null when its driver cannot take one now. */
  private async onSnapshot<T>(
    source: Loaded,
    tag: string,
    use: (from: TreeLocation) => Promise<T>,
  ): Promise<{ method: CopyMethod; result: T } | null> {
    const driver = this.storage.get(source.volume.driver);
    const snap = driver.snapshot ? await driver.snapshot(source.host, source.volume, tag) : null;
    if (!snap) return null;
    try {
      const from = { exec: await this.connector.executor(source.host), root: snap.path, label: 'snapshot' };
      return { method: snap.method, result: await use(from) };
    } finally {
      await snap.release().catch((err) => this.logger.warn(`snapshot release: ${(err as Error).message}`));
    }
  }

  /**
   * A live pass, a live catch-up pass, then a final pass with the container frozen. Each pass after the first
   * also sends again what the source modified since the previous one began (see `modifiedSince`): the catch-up
   * pass takes that load while the database runs, so the frozen pass only has the last seconds' writes to move.
   */
  private async frozenCopy(
    source: Loaded,
    target: TreeLocation,
    onProgress: (p: TransferProgress) => Promise<void>,
  ): Promise<CopyOutcome> {
    const live = await this.tree(source);
    const first = await this.sync.syncTree(live, target, { live: true, onProgress: pass(onProgress, 'live pass') });
    const catchUp = await this.sync.syncTree(live, target, {
      live: true,
      modifiedSince: first.sourceStartedAt,
      onProgress: pass(onProgress, 'catch-up pass'),
    });
    const runtime = await this.connector.runtime(source.host);
    const name = containerName(source.db.id);
    const started = Date.now();
    await runtime.pause(name);
    let final: SyncResult;
    try {
      final = await this.sync.syncTree(live, target, {
        modifiedSince: catchUp.sourceStartedAt,
        onProgress: pass(onProgress, 'final pass, frozen'),
      });
    } finally {
      // Never leave a tenant's database frozen, whatever happened to the copy.
      await runtime.unpause(name);
    }
    const passes = [first, catchUp, final];
    // The operation ends showing the whole copy, not just the (small) final pass.
    const files = passes.reduce((n, p) => n + p.transferredFiles, 0);
    const bytes = passes.reduce((n, p) => n + p.transferredBytes, 0);
    await onProgress({ phase: 'done', filesDone: files, filesTotal: files, bytesDone: bytes, bytesTotal: bytes });
    return { method: 'frozen-copy', frozenMs: Date.now() - started, passes };
  }

  private async archive(
    from: TreeLocation,
    onProgress: (p: TransferProgress) => Promise<void>,
    write: (stream: NodeJS.ReadableStream) => Promise<{ bytes: number }>,
  ): Promise<{ files: number; bytes: number }> {
    const pipe = new PassThrough();
    const writing = write(pipe);
    try {
      const [archived, written] = await Promise.all([this.sync.archiveTree(from, pipe, { onProgress }), writing]);
      return { files: archived.files, bytes: written.bytes };
    } catch (err) {
      // One side failed: make sure the other does not wait forever on the pipe.
      pipe.destroy(err as Error);
      await writing.catch(() => undefined);
      throw err;
    }
  }
}

const pass =
  (report: (p: TransferProgress) => Promise<void>, label: string) =>
  (p: TransferProgress): Promise<void> =>
    report({ ...p, phase: `${label}: ${p.phase}` });

/** A temporary copy beside the volume's data directory (same filesystem, so no other disk fills up). */
export function stagingPath(volume: VolumeEntity, tag: string): string {
  if (!volume.path) throw new Error('the volume has no path yet');
  const parent = volume.path.replace(/\/+$/, '').replace(/\/[^/]+$/, '') || '/';
  return `${parent}/.stage-${tag}`;
}
