/** Absolute paths only, from a conservative alphabet: they reach remote shells (quoted) and tar/rm arguments. */
const ROOT_RE = /^\/[A-Za-z0-9._/@+-]+$/;

/** Validates a tree root or file path and returns it without trailing slashes. Throws before anything runs. */
export function checkPath(path: string, what = 'path'): string {
  if (typeof path !== 'string' || !ROOT_RE.test(path))
    throw new Error(`fssync: invalid ${what} ${JSON.stringify(path)}`);
  const segments = path.split('/');
  if (segments.includes('..')) throw new Error(`fssync: invalid ${what} ${JSON.stringify(path)} ('..' segment)`);
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '' || segments.every((s) => s === '' || s === '.'))
    throw new Error(`fssync: invalid ${what} ${JSON.stringify(path)} (the filesystem root)`);
  return trimmed;
}

/** The parent directory of a checked absolute path ('/' for a top-level name). */
export function parentDir(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
