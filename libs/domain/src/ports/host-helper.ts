import { type CommandExecutor, maskSecrets } from './infrastructure';

/**
 * The host helper (ansible/files/dbaas-host-helper, installed by ansible/playbooks/db-host.yml): a whole step of a
 * takeover or a start in one round trip (JSON arguments on stdin, one JSON answer), where single commands take ten
 * or twenty. A host without it, or with an older one, gets the single commands: `runHostHelper` answers null then.
 */
export const HOST_HELPER_PATH = '/usr/local/lib/dbaas/host-helper';
/** The protocol this control plane speaks; a helper older than this refuses (exit 65) and changes nothing. */
export const HOST_HELPER_PROTOCOL = 1;

export type HostHelperAction = 'drbd-takeover' | 'san-attach' | 'prepare' | 'version';

/** The helper ran the action and it failed: its message says why (what it found, the command's stderr). */
export class HostHelperFailed extends Error {}

// A host found without the helper is not asked again for a while: the single commands cost no extra round trip.
const ABSENT_FOR_MS = 5 * 60_000;
const absentUntil = new WeakMap<CommandExecutor, number>();

/**
 * Runs `action` on the host; null when the host has no helper speaking this protocol (then nothing ran).
 * `secrets` (passwords in `input`) never reach argv (input goes on stdin) and are masked in errors.
 */
export async function runHostHelper<T extends object>(
  exec: CommandExecutor,
  action: HostHelperAction,
  input: object,
  opts: { timeoutMs?: number; secrets?: string[] } = {},
): Promise<T | null> {
  if ((absentUntil.get(exec) ?? 0) > Date.now()) return null;
  // -S: no site packages to look for (the helper uses the standard library only), a third of its start under
  // emulation; -E: no PYTHON* variable of the session changes what runs.
  const { python, path } = exec.hostHelper ?? { python: 'python3', path: HOST_HELPER_PATH };
  const res = await exec.run([python, '-S', '-E', path, String(HOST_HELPER_PROTOCOL), action], {
    input: JSON.stringify(input),
    timeoutMs: opts.timeoutMs ?? 120_000,
    secrets: opts.secrets,
  });
  // 127: no python3; 2: python3 found no such file; 65: an older helper (or one without this action).
  if (res.exitCode === 127 || res.exitCode === 65 || (res.exitCode === 2 && /can't open file/i.test(res.stderr))) {
    absentUntil.set(exec, Date.now() + ABSENT_FOR_MS);
    return null;
  }
  let answer: { ok?: boolean; error?: string } & Record<string, unknown>;
  try {
    answer = JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as typeof answer;
  } catch {
    const why = (res.stderr.trim().split('\n').pop() ?? '').slice(0, 300);
    throw new HostHelperFailed(`host helper ${action} exited with ${res.exitCode}: ${why || 'no answer'}`);
  }
  if (res.exitCode !== 0 || !answer.ok)
    throw new HostHelperFailed(
      `${action}: ${maskSecrets(String(answer.error ?? `exit ${res.exitCode}`), opts.secrets)}`,
    );
  return answer as T;
}
