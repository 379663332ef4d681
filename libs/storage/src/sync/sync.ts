import { mkdirKeepCmd } from '../host/dirs';
import { checkPath } from './paths';
import { ProgressReporter } from './progress';
import { ByteCounter, pump, runChecked, runStreaming, stageError } from './run';
import { listTree, whereOf, type TreeEntry, type TreeLocation } from './scan';
import type { SyncOptions, SyncResult } from '@app/domain/ports';

// The options and the result are the domain's (its TREE_SYNC port): declared once, there.
export type { SyncOptions, SyncResult } from '@app/domain/ports';

/** What one pass does: what to remove on the target, then what to send, in source order. */
interface Plan {
  remove: TreeEntry[];
  deleted: number;
  send: TreeEntry[];
}

// Sockets (and Solaris doors) cannot be archived: never sent.
const SKIPPED_TYPES = new Set(['s', 'D']);

const parentOf = (raw: string): string => {
  const i = raw.lastIndexOf('/');
  return i === -1 ? '' : raw.slice(0, i);
};

function sameMeta(s: TreeEntry, t: TreeEntry): boolean {
  if (s.uid !== t.uid || s.gid !== t.gid) return false;
  switch (s.type) {
    case 'f':
      return s.mode === t.mode && s.size === t.size && s.mtime === t.mtime;
    case 'l':
      return s.rawLink === t.rawLink && s.mtime === t.mtime;
    default:
      return s.mode === t.mode && s.mtime === t.mtime;
  }
}

/** Groups regular files by dev:inode: the names of each hard-link group, in scan order. */
function inodeGroups(entries: Iterable<TreeEntry>): Map<string, TreeEntry[]> {
  const groups = new Map<string, TreeEntry[]>();
  for (const e of entries) {
    if (e.type !== 'f') continue;
    const g = groups.get(e.inode);
    if (g) g.push(e);
    else groups.set(e.inode, [e]);
  }
  return groups;
}

/** `seconds.nanoseconds` (as find and date print it) in nanoseconds. */
export function timeNs(t: string): bigint {
  // A file can carry a time before 1970: only its order against recent times matters here.
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (!m) throw new Error(`fssync: not a time: ${JSON.stringify(t)}`);
  const ns = BigInt(m[2]) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
  return m[1] ? -ns : ns;
}

// The margin below `modifiedSince`: mtimes come from the kernel's coarse clock, which trails the one date reads
// by at most a tick (10 ms at HZ=100); ten ticks, without reaching far back into the previous pass.
const RESEND_MARGIN_NS = 100_000_000n;

/**
 * Builds the plan. `differs` lists files of equal size and metadata whose contents differ (checksum pass);
 * files modified at or after `resendFromNs` are sent whatever their metadata.
 */
export function planSync(
  src: TreeEntry[],
  dst: TreeEntry[],
  opts: { delete: boolean; differs?: Set<string>; resendFromNs?: bigint },
): Plan {
  const srcBy = new Map(src.map((e) => [e.raw, e]));

  // 1. Target names to remove: absent from the source (with delete), or of another type; deepest first,
  //    and only the top of each removed subtree (rm -rf takes the rest).
  const removedRoots = new Set<string>();
  for (const t of dst) {
    const s = srcBy.get(t.raw);
    if ((!s && opts.delete) || (s && s.type !== t.type)) removedRoots.add(t.raw);
  }
  const underRemoved = (raw: string): boolean => {
    for (let p = raw; ; p = parentOf(p)) {
      if (removedRoots.has(p)) return true;
      if (p === '') return false;
    }
  };
  const remaining = new Map<string, TreeEntry>();
  let deleted = 0;
  for (const t of dst) {
    if (underRemoved(t.raw)) deleted++;
    else remaining.set(t.raw, t);
  }
  const remove = dst
    .filter((t) => removedRoots.has(t.raw) && (t.raw === '' || !underRemoved(parentOf(t.raw))))
    .sort((a, b) => depth(b.raw) - depth(a.raw));

  // 2. Entries to send: missing or different on the target.
  const send = new Set<string>();
  for (const s of src) {
    if (SKIPPED_TYPES.has(s.type)) continue;
    const t = remaining.get(s.raw);
    const recent = s.type === 'f' && opts.resendFromNs !== undefined && timeNs(s.mtime) >= opts.resendFromNs;
    if (!t || !sameMeta(s, t) || recent || opts.differs?.has(s.raw)) send.add(s.raw);
  }

  // 3. Hard links: a group goes whole (tar then writes links, not copies), and it goes when the target's
  //    names of it are not exactly one inode of the same names.
  const dstGroups = inodeGroups(remaining.values());
  for (const names of inodeGroups(src).values()) {
    if (names.some((e) => send.has(e.raw))) {
      for (const e of names) send.add(e.raw);
      continue;
    }
    const inode = remaining.get(names[0].raw)!.inode;
    const linked =
      names.every((e) => remaining.get(e.raw)!.inode === inode) && dstGroups.get(inode)!.length === names.length;
    if (!linked) for (const e of names) send.add(e.raw);
  }

  // 4. Directories whose contents change on the target get their mtime (and the rest) set again after.
  for (const raw of [...send]) {
    if (raw === '') continue;
    const s = srcBy.get(raw)!;
    const t = remaining.get(raw);
    if (s.type === 'd' && t) continue; // an existing directory's metadata: its parent is not touched
    send.add(parentOf(raw));
  }
  for (const t of remove) if (t.raw !== '' && srcBy.get(parentOf(t.raw))?.type === 'd') send.add(parentOf(t.raw));

  return { remove, deleted, send: src.filter((e) => send.has(e.raw)) };
}

function depth(raw: string): number {
  if (raw === '') return 0;
  let n = 1;
  for (let i = raw.indexOf('/'); i !== -1; i = raw.indexOf('/', i + 1)) n++;
  return n;
}

const nulList = (names: string[]): Buffer => Buffer.from(names.map((n) => `${n}\0`).join(''), 'latin1');
const absolute = (root: string, raw: string) => (raw === '' ? root : `${root}/${raw}`);
const tarName = (raw: string) => (raw === '' ? '.' : `./${raw}`);

/** sha256 of the given files (relative raw names) under `loc.root`, keyed by raw name. */
async function hashFiles(loc: TreeLocation, root: string, raws: string[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (raws.length === 0) return hashes;
  const prefix = `${root}/`;
  let rest = '';
  const res = await runStreaming(loc.exec, ['xargs', '-0', '-r', 'sha256sum', '-z', '--'], {
    input: nulList(raws.map((r) => absolute(root, r))),
    onData: (chunk) => {
      const records = (rest + chunk.toString('latin1')).split('\0');
      rest = records.pop()!;
      for (const rec of records) {
        // "<64 hex><space><space or *><path>"
        const path = rec.slice(66);
        if (!/^[0-9a-f]{64}$/.test(rec.slice(0, 64)) || !path.startsWith(prefix))
          throw new Error(`fssync: unexpected sha256sum output on ${whereOf(loc)}`);
        hashes.set(path.slice(prefix.length), rec.slice(0, 64));
      }
    },
  });
  if (res.exitCode !== 0) throw stageError('sha256sum (checksum)', whereOf(loc), res.exitCode, res.stderr);
  return hashes;
}

// Per entry in a posix tar stream: an extended header (mtime with nanoseconds) and a header, 512 bytes each,
// plus its pax records; then the data, padded to 512. Used to estimate how far the transfer got.
const ENTRY_OVERHEAD = 1536;
const padded = (n: number) => Math.ceil(n / 512) * 512;

/**
 * One incremental pass from `src` to `dst` (often two hosts): scan both, remove what must go, then stream the
 * missing or changed names as a tar (through this process) into the target. Owners, modes, mtimes (to the
 * nanosecond), symlinks and hard links are kept; a pass with nothing changed sends nothing.
 */
export async function syncTree(src: TreeLocation, dst: TreeLocation, opts: SyncOptions = {}): Promise<SyncResult> {
  const t0 = performance.now();
  const srcRoot = checkPath(src.root, 'source root');
  const dstRoot = checkPath(dst.root, 'target root');
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  // The same host (same executor) and overlapping trees: tar -x would unlink what tar -c is reading.
  if (src.exec === dst.exec && (inside(dstRoot, srcRoot) || inside(srcRoot, dstRoot)))
    throw new Error(`fssync: source ${whereOf(src)} and target ${whereOf(dst)} overlap`);
  const progress = new ProgressReporter(opts.onProgress, opts.progressIntervalMs ?? 500);
  progress.update({ phase: 'scanning' }, true);

  // Read before the scan, so that every write the scan could have missed is at or after it.
  const sourceStartedAt = opts.live ? await clockOf(src) : undefined;
  const [srcTree, dstTree] = await Promise.all([
    listTree({ ...src, root: srcRoot }),
    listTree({ ...dst, root: dstRoot }),
  ]);
  if (srcTree.length === 0) throw new Error(`fssync: source ${whereOf(src)} does not exist`);
  if (srcTree[0].type !== 'd') throw new Error(`fssync: source ${whereOf(src)} is not a directory`);

  const del = opts.delete ?? true;
  let differs: Set<string> | undefined;
  if (opts.checksum) {
    // Files that would not be sent otherwise: same type, size and metadata on both sides.
    const candidates = planSync(srcTree, dstTree, { delete: del }).send;
    const sent = new Set(candidates.map((e) => e.raw));
    const dstBy = new Map(dstTree.map((e) => [e.raw, e]));
    const same = srcTree
      .filter((e) => e.type === 'f' && !sent.has(e.raw) && dstBy.get(e.raw)?.type === 'f')
      .map((e) => e.raw);
    const [a, b] = await Promise.all([hashFiles(src, srcRoot, same), hashFiles(dst, dstRoot, same)]);
    differs = new Set(same.filter((raw) => a.get(raw) === undefined || a.get(raw) !== b.get(raw)));
  }
  const resendFromNs = opts.modifiedSince === undefined ? undefined : timeNs(opts.modifiedSince) - RESEND_MARGIN_NS;
  const plan = planSync(srcTree, dstTree, { delete: del, differs, resendFromNs });

  // Totals of the source, and of what goes (file data once per inode).
  let filesTotal = 0;
  let bytesTotal = 0;
  const seen = new Set<string>();
  for (const e of srcTree) {
    if (e.type !== 'f') continue;
    filesTotal++;
    if (!seen.has(e.inode)) bytesTotal += e.size;
    seen.add(e.inode);
  }
  const sizes: number[] = [];
  const sentInodes = new Set<string>();
  for (const e of plan.send) {
    const first = e.type === 'f' && !sentInodes.has(e.inode);
    if (first) sentInodes.add(e.inode);
    sizes.push(first ? e.size : 0);
  }
  const sendBytes = sizes.reduce((a, b) => a + b, 0);
  const sendDirs = plan.send.filter((e) => e.type === 'd').length;

  if (plan.remove.length) {
    progress.update({ phase: 'deleting', filesTotal: plan.send.length, bytesTotal: sendBytes });
    const res = await runStreaming(dst.exec, ['xargs', '-0', '-r', 'rm', '-rf', '--'], {
      input: nulList(plan.remove.map((t) => absolute(dstRoot, t.raw))),
    });
    if (res.exitCode !== 0) throw stageError('rm (delete)', whereOf(dst), res.exitCode, res.stderr);
  }

  if (plan.send.length) {
    progress.update({
      phase: 'transferring',
      filesDone: 0,
      filesTotal: plan.send.length,
      bytesDone: 0,
      bytesTotal: sendBytes,
    });
    await runChecked(dst.exec, mkdirKeepCmd(dstRoot), 'mkdir (target root)', whereOf(dst));
    await transfer(src, srcRoot, dst, dstRoot, plan.send, sizes, progress, opts.live ?? false);
  }

  const result: SyncResult = {
    entries: srcTree.length,
    filesTotal,
    bytesTotal,
    transferredFiles: plan.send.length - sendDirs,
    transferredDirs: sendDirs,
    transferredBytes: sendBytes,
    deleted: plan.deleted,
    elapsedMs: Math.round(performance.now() - t0),
    ...(sourceStartedAt !== undefined && { sourceStartedAt }),
  };
  await progress.finish({
    filesDone: plan.send.length,
    filesTotal: plan.send.length,
    bytesDone: sendBytes,
    bytesTotal: sendBytes,
  });
  return result;
}

/** The host's realtime clock, `seconds.nanoseconds`: the clock its file mtimes come from. */
async function clockOf(loc: TreeLocation): Promise<string> {
  const res = await loc.exec.run(['date', '+%s.%N']);
  const out = res.stdout.trim();
  if (res.exitCode !== 0 || !/^\d+\.\d{9}$/.test(out))
    throw stageError('date (clock)', whereOf(loc), res.exitCode, res.stderr);
  return out;
}

/** tar -c on the source | this process | tar -x on the target, for exactly `send` (no recursion). */
async function transfer(
  src: TreeLocation,
  srcRoot: string,
  dst: TreeLocation,
  dstRoot: string,
  send: TreeEntry[],
  sizes: number[],
  progress: ProgressReporter,
  live: boolean,
): Promise<void> {
  // Progress: walk the list as the stream passes each entry's estimated end.
  let idx = 0;
  let end = 0;
  let filesDone = 0;
  let bytesDone = 0;
  const counter = new ByteCounter((streamed) => {
    while (idx < send.length && end + ENTRY_OVERHEAD + padded(sizes[idx]) <= streamed) {
      end += ENTRY_OVERHEAD + padded(sizes[idx]);
      bytesDone += sizes[idx];
      filesDone++;
      idx++;
    }
    const partial = idx < send.length ? Math.min(sizes[idx], Math.max(0, streamed - end - ENTRY_OVERHEAD)) : 0;
    progress.update({ filesDone, bytesDone: bytesDone + partial });
  });

  const tarC = await src.exec.spawn([
    'tar',
    '-C',
    srcRoot,
    '--format=posix',
    '--pax-option=delete=atime,delete=ctime',
    '--numeric-owner',
    '--no-recursion',
    '--null',
    '--no-unquote',
    ...(live ? ['--ignore-failed-read', '--warning=no-file-changed', '--warning=no-file-removed'] : []),
    '-T',
    '-',
    '-cf',
    '-',
  ]);
  let tarX;
  try {
    tarX = await dst.exec.spawn([
      'tar',
      '-C',
      dstRoot,
      '-xf',
      '-',
      '--numeric-owner',
      '--same-owner',
      '--same-permissions',
      '--delay-directory-restore',
    ]);
  } catch (err) {
    tarC.kill();
    tarC.stdout.resume();
    await tarC.done;
    throw err;
  }
  await pump({
    from: { ...tarC, stage: 'tar -c (source)', where: whereOf(src), okExit: live ? [1] : [] },
    to: { ...tarX, stage: 'tar -x (target)', where: whereOf(dst) },
    counter,
    input: nulList(send.map((e) => tarName(e.raw))),
  });
}
