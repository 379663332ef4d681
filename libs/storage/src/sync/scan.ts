import type { CommandExecutor } from '@app/domain/ports';
import { checkPath } from './paths';
import { runStreaming, RUN_TIMEOUT_MS, stageError } from './run';

/** Where a tree lives: a host (through its executor) and an absolute directory on it. */
export interface TreeLocation {
  exec: CommandExecutor;
  /** Absolute path: /^\/[A-Za-z0-9._\/@+-]+$/, no '..' segment. */
  root: string;
  /** For progress and error messages (a host name). */
  label?: string;
}

/** One name in a tree, as GNU find reports it. */
export interface TreeEntry {
  /** Relative to the root ('' for the root itself), decoded as UTF-8: for display. */
  path: string;
  /** The exact bytes of the relative path, one char per byte (latin1): what is compared and transferred. */
  raw: string;
  /** find's %y: f (file), d, l (symlink), b, c, p (fifo), s (socket), D (door). */
  type: string;
  size: number;
  /** Modification time, seconds with 9 decimals (full precision, compared as text). */
  mtime: string;
  /** Permission bits, with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** dev:inode (hard links share it). */
  inode: string;
  nlink: number;
  /** Symlinks: the target, UTF-8 decoded ('' otherwise). */
  linkTarget: string;
  /** Symlinks: the target's exact bytes (latin1). */
  rawLink: string;
}

// type, size, mtime, mode, uid, gid, dev:inode, links, relative path, link target: each NUL-terminated.
const FIELDS = 10;
const FIND_FORMAT = '%y\\0%s\\0%T@\\0%m\\0%U\\0%G\\0%D:%i\\0%n\\0%P\\0%l\\0';

export function whereOf(loc: TreeLocation): string {
  return `${loc.label ?? 'host'}:${loc.root}`;
}

/** `1700000000.5` → `1700000000.500000000`: the same text for the same time, whatever find printed. */
function normTime(t: string): string {
  const [sec, frac = ''] = t.split('.');
  return `${sec}.${frac.padEnd(9, '0').slice(0, 9)}`;
}

const NON_ASCII = /[\x80-\xff]/;
const latin1ToUtf8 = (s: string) => (NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s);

/** Parses find's NUL-separated output as it streams in (as latin1 text: one char per byte, split in JS). */
class FindParser {
  readonly entries: TreeEntry[] = [];
  private fields: string[] = [];
  private rest = '';

  push(chunk: Buffer): void {
    const parts = (this.rest + chunk.toString('latin1')).split('\0');
    this.rest = parts.pop()!;
    for (const field of parts) {
      this.fields.push(field);
      if (this.fields.length === FIELDS) this.entry(this.fields);
    }
  }

  end(): void {
    if (this.rest.length || this.fields.length) throw new Error('fssync: truncated find output');
  }

  private entry(f: string[]): void {
    this.fields = [];
    const [type, size, mtime, mode, uid, gid, inode, nlink, raw, rawLink] = f;
    const num = (s: string) => {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new Error(`fssync: unexpected find output ${JSON.stringify(f)}`);
      return n;
    };
    this.entries.push({
      path: latin1ToUtf8(raw),
      raw,
      type,
      size: num(size),
      mtime: normTime(mtime),
      mode: parseInt(mode, 8),
      uid: num(uid),
      gid: num(gid),
      inode,
      nlink: num(nlink),
      linkTarget: type === 'l' ? latin1ToUtf8(rawLink) : '',
      rawLink: type === 'l' ? rawLink : '',
    });
  }
}

/**
 * Every name under `loc.root`, the root itself first ('' path), in find's order (a directory before its
 * contents). A missing root is an empty tree. A root that is a symlink is followed (as `tar -C` does).
 */
export async function listTree(loc: TreeLocation): Promise<TreeEntry[]> {
  const root = checkPath(loc.root, 'root');
  const parser = new FindParser();
  const res = await runStreaming(loc.exec, ['find', '-H', root, '-printf', FIND_FORMAT], {
    onData: (c) => parser.push(c),
  });
  if (res.exitCode !== 0) {
    if (parser.entries.length === 0) {
      const exists = await loc.exec.run(['test', '-e', root], { timeoutMs: RUN_TIMEOUT_MS });
      const isLink = exists.exitCode === 0 ? exists : await loc.exec.run(['test', '-L', root]);
      if (exists.exitCode === 1 && isLink.exitCode === 1) return [];
    }
    throw stageError('find (scan)', whereOf(loc), res.exitCode, res.stderr);
  }
  parser.end();
  return parser.entries;
}
