import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { CommandExecutor } from '@app/domain/ports';
import { mkdirCmd, mkdirKeepCmd } from '../host/dirs';
import { checkPath, parentDir } from './paths';
import { ProgressReporter, type SyncProgressFn } from './progress';
import { ByteCounter, pump, runChecked, stageError } from './run';
import { listTree, whereOf, type TreeLocation } from './scan';

const TAR_CREATE = ['--format=posix', '--pax-option=delete=atime,delete=ctime', '--numeric-owner'];
const TAR_EXTRACT = ['--numeric-owner', '--same-owner', '--same-permissions', '--delay-directory-restore'];

/**
 * A gzipped tar of the whole tree (owners numeric, nanosecond mtimes, links) written to `sink`, which is
 * ended at the end. Progress: bytesDone counts archive (compressed) bytes against the tree's data size.
 */
export async function archiveTree(
  src: TreeLocation,
  sink: NodeJS.WritableStream,
  opts: { onProgress?: SyncProgressFn } = {},
): Promise<{ files: number; bytes: number }> {
  const root = checkPath(src.root, 'source root');
  const progress = new ProgressReporter(opts.onProgress);
  progress.update({ phase: 'scanning' }, true);
  const tree = await listTree({ ...src, root });
  if (tree.length === 0 || tree[0].type !== 'd') throw new Error(`fssync: source ${whereOf(src)} is not a directory`);
  const seen = new Set<string>();
  let dataBytes = 0;
  for (const e of tree)
    if (e.type === 'f' && !seen.has(e.inode)) {
      seen.add(e.inode);
      dataBytes += e.size;
    }
  progress.update({ phase: 'transferring', filesTotal: tree.length, bytesTotal: dataBytes });
  const counter = new ByteCounter((bytes) => progress.update({ bytesDone: bytes }));
  const tar = await src.exec.spawn(['tar', '-C', root, ...TAR_CREATE, '-czf', '-', '.']);
  await pump({
    from: { ...tar, stage: 'tar -cz (archive)', where: whereOf(src) },
    to: sink as Writable,
    counter,
  });
  await progress.finish({ filesDone: tree.length, bytesDone: dataBytes });
  return { files: tree.length, bytes: counter.bytes };
}

/** Extracts a tar.gz stream into `dst.root` (created if missing), keeping owners, modes, links and mtimes. */
export async function extractArchive(
  source: NodeJS.ReadableStream,
  dst: TreeLocation,
  opts: { totalBytes?: number; onProgress?: SyncProgressFn } = {},
): Promise<{ bytes: number }> {
  const root = checkPath(dst.root, 'target root');
  keepEarlyError(source);
  const progress = new ProgressReporter(opts.onProgress);
  const total = opts.totalBytes ?? 0;
  await runChecked(dst.exec, mkdirKeepCmd(root), 'mkdir (target root)', whereOf(dst));
  progress.update({ phase: 'transferring', bytesTotal: total }, true);
  const counter = new ByteCounter((bytes) => progress.update({ bytesDone: bytes }));
  const tar = await dst.exec.spawn(['tar', '-C', root, '-xzf', '-', ...TAR_EXTRACT]);
  await pump({
    from: source as Readable,
    to: { ...tar, stage: 'tar -xz (extract)', where: whereOf(dst) },
    counter,
  });
  await progress.finish({ bytesDone: counter.bytes, bytesTotal: Math.max(total, counter.bytes) });
  return { bytes: counter.bytes };
}

/** Writes a stream to a file on the host (its directory created), synced to disk before this resolves. */
export async function writeFile(
  loc: { exec: CommandExecutor; label?: string },
  path: string,
  source: NodeJS.ReadableStream,
): Promise<{ bytes: number }> {
  const file = checkPath(path);
  keepEarlyError(source);
  const where = `${loc.label ?? 'host'}:${file}`;
  // Backups hold tenant data: their directory is root's alone, whatever umask the host's shell has.
  await runChecked(loc.exec, mkdirCmd(parentDir(file), '0700'), 'mkdir', where);
  const dd = await loc.exec.spawn(['dd', `of=${file}`, 'bs=1M', 'status=none', 'conv=fsync']);
  const counter = new ByteCounter();
  await pump({ from: source as Readable, to: { ...dd, stage: 'dd (write)', where }, counter });
  return { bytes: counter.bytes };
}

/**
 * A file on the host as a stream. The stream ends only once `cat` exited 0; otherwise it errors (a reader
 * never takes a truncated file for a whole one). `done` settles the same way.
 */
export async function readFile(
  loc: { exec: CommandExecutor; label?: string },
  path: string,
): Promise<{ stream: Readable; done: Promise<void> }> {
  const file = checkPath(path);
  const where = `${loc.label ?? 'host'}:${file}`;
  const cat = await loc.exec.spawn(['cat', '--', file]);
  cat.stdin.on('error', () => undefined);
  cat.stdin.end();
  const out = new PassThrough();
  // A failure before the caller attached its handlers must not crash the process: the stream stays errored,
  // and pipeline()/finished() on it still report the error.
  out.on('error', () => undefined);
  cat.stdout.pipe(out, { end: false });
  // The reader gave up: stop the program.
  out.on('close', () => {
    if (!out.writableFinished) cat.kill();
  });
  const done = cat.done.then((res) => {
    if (res.exitCode !== 0) {
      const err = stageError('cat (read)', where, res.exitCode, res.stderr);
      out.destroy(err);
      throw err;
    }
    out.end();
  });
  done.catch(() => undefined); // the caller may only watch the stream
  return { stream: out, done };
}

/** rm -rf of a path on the host (validated: absolute, no '..', not '/'). */
export async function removePath(loc: { exec: CommandExecutor; label?: string }, path: string): Promise<void> {
  const p = checkPath(path);
  await runChecked(loc.exec, ['rm', '-rf', '--', p], 'rm', `${loc.label ?? 'host'}:${p}`);
}

/**
 * The source may fail while the target is still being prepared (mkdir, spawn), before pump listens: without a
 * listener that error would crash the process. The stream keeps it, and pump's pipeline reports it.
 */
function keepEarlyError(source: NodeJS.ReadableStream): void {
  source.on('error', () => undefined);
}
