import type { AgentFencing, FencingConfig } from '@app/persistence/entities';
import type { SecretSealer } from '../ports';
import { HostException, HostExceptionCode } from './host.exception';

/** A fence agent is named, never given as a path: an executable file of FENCE_AGENTS_DIR. */
export const FENCE_AGENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const PARAM_KEY = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_PARAMS = 32;
// `action` is what the control plane sends (off, then status): a parameter may not override it.
const RESERVED_PARAMS = new Set(['action']);
/** Parameters whose values are sealed at rest, never shown, and masked in the audit log and the agent's output. */
export const SECRET_PARAM = /pass|secret|key|token|community/i;
export const DEFAULT_FENCE_TIMEOUT_SEC = 30;

/** What an operator sends. */
export type FencingInput =
  | {
      driver: 'agent';
      agent: string;
      params?: Record<string, string>;
      timeoutSec?: number;
      sshPoweroff?: boolean;
    }
  | { driver: 'ssh' };

/** What the API shows: secret parameters as "***". */
export type FencingView =
  | {
      driver: 'agent';
      agent: string;
      params: Record<string, string>;
      timeoutSec: number;
      sshPoweroff: boolean;
    }
  | { driver: 'ssh' };

const AGENT_FIELDS = ['driver', 'agent', 'params', 'timeoutSec', 'sshPoweroff'];
const ARGV_REFUSED =
  'fencing: an argv is not accepted: choose an agent from the allow-list (FENCE_AGENTS_DIR) with ' +
  '{"driver":"agent","agent":"<name>","params":{"key":"value",...}}';

/**
 * Why a fencing configuration is refused, or null when it is well formed. The messages never repeat a value:
 * it may be a password. Whether the agent is in the allow-list is checked by the use case (it reads the directory).
 */
export function fencingProblem(v: unknown): string | null {
  if (Array.isArray(v)) return ARGV_REFUSED;
  if (typeof v !== 'object' || v === null)
    return 'fencing must be {"driver":"agent","agent":"<name>","params":{...}} or {"driver":"ssh"}';
  const f = v as Record<string, unknown>;
  if (f.driver === 'command' || 'command' in f || 'argv' in f || 'args' in f) return ARGV_REFUSED;
  if (f.driver === 'ssh') return Object.keys(f).length === 1 ? null : 'fencing {"driver":"ssh"} takes no other field';
  if (f.driver !== 'agent') return 'fencing.driver must be "agent" or "ssh"';
  const unknown = Object.keys(f).find((k) => !AGENT_FIELDS.includes(k));
  if (unknown !== undefined)
    return `fencing: unknown field "${unknown.slice(0, 40)}" (allowed: ${AGENT_FIELDS.join(', ')})`;
  if (typeof f.agent !== 'string' || !FENCE_AGENT_NAME.test(f.agent))
    return 'fencing.agent must be the name of an agent in the allow-list ([a-z][a-z0-9_-]{0,62}, no path)';
  if (f.params !== undefined && !validParams(f.params))
    return (
      `fencing.params must be an object of at most ${MAX_PARAMS} entries: keys [a-z][a-z0-9_-]{0,31} ` +
      '(not "action"), values strings of 1-256 characters without NUL, CR or LF'
    );
  if (
    f.timeoutSec !== undefined &&
    !(Number.isInteger(f.timeoutSec) && (f.timeoutSec as number) >= 1 && (f.timeoutSec as number) <= 300)
  )
    return 'fencing.timeoutSec must be an integer from 1 to 300';
  if (f.sshPoweroff !== undefined && typeof f.sshPoweroff !== 'boolean')
    return 'fencing.sshPoweroff must be true or false';
  return null;
}

function validParams(p: unknown): boolean {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const entries = Object.entries(p);
  return (
    entries.length <= MAX_PARAMS &&
    entries.every(
      ([k, v]) =>
        PARAM_KEY.test(k) &&
        !RESERVED_PARAMS.has(k) &&
        typeof v === 'string' &&
        v.length >= 1 &&
        v.length <= 256 &&
        !/[\0\r\n]/.test(v),
    )
  );
}

/** What an operator sends for a secret to keep it: the way it is shown. */
export const KEEP_SECRET = '***';

/**
 * The stored form: secret parameters sealed with the master key (opened only to run the agent). A secret sent as
 * "***" (as the API shows it) keeps the one stored for the same agent; without one it is refused.
 */
export function sealFencing(
  input: FencingInput | undefined | null,
  sealer: SecretSealer,
  previous: FencingConfig | null = null,
): FencingConfig | null {
  if (!input) return null;
  if (input.driver === 'ssh') return { driver: 'ssh' };
  const kept = previous?.driver === 'agent' && previous.agent === input.agent ? (previous.sealedParams ?? {}) : {};
  const params: Record<string, string> = {};
  const sealedParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.params ?? {})) {
    if (!SECRET_PARAM.test(k)) params[k] = v;
    else if (v !== KEEP_SECRET) sealedParams[k] = sealer.seal(v);
    else if (kept[k]) sealedParams[k] = kept[k];
    else
      throw new HostException(
        HostExceptionCode.BadFencing,
        `fencing.params.${k}: "${KEEP_SECRET}" keeps the stored secret, and ${input.agent} has none stored: send its value`,
      );
  }
  const stored: AgentFencing = { driver: 'agent', agent: input.agent, params, sealedParams };
  if (input.timeoutSec !== undefined) stored.timeoutSec = input.timeoutSec;
  if (input.sshPoweroff !== undefined) stored.sshPoweroff = input.sshPoweroff;
  return stored;
}

/** What operators see: the agent and its parameters, secrets as "***" (neither their value nor its sealed form). */
export function fencingView(cfg: FencingConfig | null | undefined): FencingView | null {
  if (cfg?.driver === 'ssh') return { driver: 'ssh' };
  // Anything else (an argv of the old kind still in memory) is shown as nothing rather than leaked.
  if (cfg?.driver !== 'agent') return null;
  return {
    driver: 'agent',
    agent: cfg.agent,
    params: {
      ...cfg.params,
      ...Object.fromEntries(Object.keys(cfg.sealedParams ?? {}).map((k) => [k, '***'])),
    },
    timeoutSec: cfg.timeoutSec ?? DEFAULT_FENCE_TIMEOUT_SEC,
    sshPoweroff: cfg.sshPoweroff !== false,
  };
}
