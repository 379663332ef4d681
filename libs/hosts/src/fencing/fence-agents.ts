import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { FENCE_AGENT_NAME } from '@app/domain/hosts/fencing';

/** An agent the control plane will not run, and why. */
export class AgentRefused extends Error {}

/**
 * The absolute path of the allow-listed fence agent `name`: a regular, executable file whose real path (symlinks
 * followed) is inside `dir`. Checked again before every run: the allow-list may have changed since registration.
 */
export async function resolveAgent(dir: string, name: string): Promise<string> {
  if (!FENCE_AGENT_NAME.test(name)) throw new AgentRefused(`"${name.slice(0, 80)}" is not a fence agent name`);
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    throw new AgentRefused(`fence agent "${name}" is not in the allow-list (${dir} does not exist: no agent is)`);
  }
  let real: string;
  try {
    real = await realpath(join(root, name));
  } catch {
    throw new AgentRefused(`fence agent "${name}" is not in the allow-list (${dir})`);
  }
  const rel = relative(root, real);
  if (!rel || isAbsolute(rel) || rel.split(sep)[0] === '..')
    throw new AgentRefused(`fence agent "${name}" leads outside the allow-list (${dir}): a symlink to ${real}`);
  const st = await stat(real);
  if (!st.isFile()) throw new AgentRefused(`fence agent "${name}" is not a regular file`);
  // Run as the control plane's user: a file anyone may rewrite is anyone's program.
  if (st.mode & 0o002) throw new AgentRefused(`fence agent "${name}" is writable by anyone: refused`);
  try {
    await access(real, constants.X_OK);
  } catch {
    throw new AgentRefused(`fence agent "${name}" is not executable`);
  }
  return real;
}

/** The names of the agents of `dir` that `resolveAgent` accepts, sorted. */
export async function listAgents(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const ok = await Promise.all(
    names
      .filter((n) => FENCE_AGENT_NAME.test(n))
      .map((n) =>
        resolveAgent(dir, n).then(
          () => n,
          () => null,
        ),
      ),
  );
  return ok.filter((n): n is string => n !== null).sort();
}
