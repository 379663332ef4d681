import { Logger } from '@nestjs/common';
import { type CommandExecutor, maskSecrets } from './infrastructure';

/**
 * The host helper (ansible/files/dbaas-host-helper, installed by ansible/playbooks/db-host.yml): a whole step of a
 * takeover or a start in one round trip (JSON arguments on stdin, one JSON answer), where single commands take ten
 * or twenty. A host without it, or with an older one, gets the single commands: `runHostHelper` answers null then.
 */
export const HOST_HELPER_PATH = '/usr/local/lib/dbaas/host-helper';
/** The protocol this control plane speaks; a helper older than this refuses (exit 65) and changes nothing. */
export const HOST_HELPER_PROTOCOL = 2;

export type HostHelperAction = 'drbd-takeover' | 'san-attach' | 'prepare' | 'stage' | 'version';

/**
 * The protocol each action needs: a host whose helper is older keeps it for what it can do (and is asked the new
 * actions again only after ABSENT_FOR_MS).
 */
const ACTION_PROTOCOL: Record<HostHelperAction, number> = {
  'drbd-takeover': 1,
  'san-attach': 1,
  prepare: 1,
  version: 1,
  stage: 2,
};

/** The helper ran the action and it failed: its message says why (what it found, the command's stderr). */
export class HostHelperFailed extends Error {}

// A host found without the helper is not asked again for a while: the single commands cost no extra round trip.
const ABSENT_FOR_MS = 5 * 60_000;
// Per protocol: a helper of protocol 1 still serves the actions of protocol 1.
const absentUntil = new WeakMap<CommandExecutor, Map<number, number>>();
const logger = new Logger('HostHelper');
// A call at least this long is logged with where its time went (a takeover's storage step under emulation).
const SLOW_MS = 500;

/** The helper's own account of its time: its programs summed by name, the rest is Python's. */
export function describeTook(took: { ms?: unknown; runs?: unknown } | undefined): string | null {
  if (!took || typeof took.ms !== 'number' || !Array.isArray(took.runs)) return null;
  const byName = new Map<string, { n: number; ms: number }>();
  let programs = 0;
  for (const run of took.runs as unknown[]) {
    if (!Array.isArray(run) || typeof run[0] !== 'string' || typeof run[1] !== 'number') continue;
    const cur = byName.get(run[0]) ?? { n: 0, ms: 0 };
    byName.set(run[0], { n: cur.n + 1, ms: cur.ms + run[1] });
    programs += run[1];
  }
  const parts = [...byName].map(([name, t]) => `${name}${t.n > 1 ? `×${t.n}` : ''} ${t.ms}`);
  return `${took.ms} ms: ${[...parts, `own ${Math.max(0, took.ms - programs)}`].join(', ')}`;
}

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
  const protocol = ACTION_PROTOCOL[action];
  if ((absentUntil.get(exec)?.get(protocol) ?? 0) > Date.now()) return null;
  // -S: no site packages to look for (the helper uses the standard library only), a third of its start under
  // emulation; -E: no PYTHON* variable of the session changes what runs.
  const { python, path } = exec.hostHelper ?? { python: 'python3', path: HOST_HELPER_PATH };
  const res = await exec.run([python, '-S', '-E', path, String(protocol), action], {
    input: JSON.stringify(input),
    timeoutMs: opts.timeoutMs ?? 120_000,
    secrets: opts.secrets,
  });
  // 127: no python3; 2: python3 found no such file; 65: an older helper (or one without this action).
  if (res.exitCode === 127 || res.exitCode === 65 || (res.exitCode === 2 && /can't open file/i.test(res.stderr))) {
    const absent = absentUntil.get(exec) ?? new Map<number, number>();
    // An older helper refuses this protocol; a missing one (127, 2) has none: nothing at or above it is asked.
    const until = Date.now() + ABSENT_FOR_MS;
    for (const p of res.exitCode === 65 ? [protocol] : Object.values(ACTION_PROTOCOL)) absent.set(p, until);
    absentUntil.set(exec, absent);
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
  const took = answer.took as { ms?: unknown; runs?: unknown } | undefined;
  const said = describeTook(took);
  if (said && Number(took?.ms) >= SLOW_MS) logger.log(`${action} ${said}`);
  else if (said) logger.debug(`${action} ${said}`);
  return answer as T;
}
