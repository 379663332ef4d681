/**
 * What the failover worker may conclude from what it saw, as pure functions (no I/O): the rules that keep it from
 * harming a live host. The control plane's own probe only makes a host a suspect; witnesses condemn it; a grace
 * period protects new hosts; a brake stops everything when too much fails at once (the control plane is then more
 * likely the one cut off); a rate limit bounds fences per minute.
 */

export interface GuardSettings {
  /** No host is condemned within this long after it was registered or activated. */
  graceMs: number;
  /** The brake: more than this share of the fleet unreachable at once stops automatic fencing. */
  brakeShare: number;
  /** At most this many hosts declared down automatically per rolling minute. */
  fencesPerMinute: number;
}

/** A host as the guard sees it: only remote hosts that should be up (active or draining). */
export interface WatchedHost {
  id: string;
  name: string;
  /** The failure domain (its `rack` label), or null. */
  domain: string | null;
  /** Registered or last activated. */
  activeSince: Date;
  /** Last successful probe (null: never seen healthy). */
  lastSeenAt: Date | null;
  /** Consecutive failed probes from the control plane. */
  failures: number;
}

export type GraceState = { inGrace: false } | { inGrace: true; reason: string };

/** A host never seen healthy since it was (re)activated, or still in its grace period, is never condemned. */
export function grace(h: WatchedHost, s: GuardSettings, now: Date): GraceState {
  if (!h.lastSeenAt || h.lastSeenAt < h.activeSince)
    return { inGrace: true, reason: 'never seen healthy since it was registered or activated: not fenced' };
  const left = h.activeSince.getTime() + s.graceMs - now.getTime();
  if (left > 0) return { inGrace: true, reason: `in its grace period (${Math.ceil(left / 1000)} s left): not fenced` };
  return { inGrace: false };
}

export interface Brake {
  reason: string;
  hostIds: string[];
}

/**
 * The brake, in the spirit of Kubernetes' node lifecycle controller (`--unhealthy-zone-threshold` 0.55, and no
 * evictions at all when every zone is disrupted): on when at least two hosts fail at once and either they are more
 * than `brakeShare` of the fleet, or every failure domain has a failing host. One domain wholly down with the others
 * healthy is a normal failover (a rack losing power), not a brake.
 */
export function brake(hosts: WatchedHost[], s: GuardSettings): Brake | null {
  const failing = hosts.filter((h) => h.failures > 0);
  if (failing.length < 2) return null;
  const share = failing.length / hosts.length;
  const names = failing.map((h) => h.name).join(', ');
  if (share > s.brakeShare)
    return {
      reason: `${failing.length} of ${hosts.length} hosts unreachable at once (more than ${Math.round(s.brakeShare * 100)} %: the control plane may be the one cut off): ${names}`,
      hostIds: failing.map((h) => h.id),
    };
  const domains = new Set(hosts.map((h) => h.domain).filter((d): d is string => d !== null));
  const hit = new Set(failing.map((h) => h.domain).filter((d): d is string => d !== null));
  if (domains.size >= 2 && hit.size === domains.size)
    return {
      reason: `hosts unreachable in every failure domain at once (${[...hit].join(', ')}): ${names}`,
      hostIds: failing.map((h) => h.id),
    };
  return null;
}

export type Vote = 'alive' | 'dead';

export type WitnessVerdict =
  { kind: 'dead'; summary: string } | { kind: 'alive'; summary: string } | { kind: 'no-witness'; summary: string };

/**
 * The witnesses' verdict on a host the control plane cannot reach: dead only when a strict majority of those that
 * answered saw it dead. None answering means the control plane cannot tell (it may be the one cut off).
 */
export function witnessVerdict(votes: Record<string, Vote | null>): WitnessVerdict {
  const entries = Object.entries(votes);
  const answered = entries.filter(([, v]) => v !== null);
  const dead = answered.filter(([, v]) => v === 'dead').length;
  const summary = entries.map(([w, v]) => `${w}: ${v ?? 'no answer'}`).join(', ') || 'no witness';
  if (!answered.length)
    return {
      kind: 'no-witness',
      summary: entries.length
        ? `no witness answered (${summary}): the control plane may be the one cut off`
        : 'no other host or storage server to confirm it',
    };
  return dead * 2 > answered.length ? { kind: 'dead', summary } : { kind: 'alive', summary };
}

/** The probe pace: what the monitor knows of one host's probes. */
export interface ProbePace {
  /** Consecutive failed probes. */
  failures: number;
  /** When its last probe was started (ms), 0 for never. */
  lastProbeAt: number;
  /** Its probes still running. */
  inFlight: number;
}

export interface PaceSettings {
  probeIntervalMs: number;
  suspectIntervalMs: number;
  failuresBeforeDown: number;
}

/**
 * Whether a host gets a new probe now. A healthy host: one probe every `probeIntervalMs`; a suspect (its last probe
 * failed): one every `suspectIntervalMs`, so that a host gone silent is condemned after about one probe timeout plus
 * a few suspect intervals, not after `failuresBeforeDown` probe timeouts end to end. Probes overlap, up to
 * `failuresBeforeDown` at once: a probe that connected just before the host died waits for a banner that never
 * comes (seconds), and must not keep the next probes, which fail at once, from being made. `now` within half a
 * tick of the pace counts as due (the monitor's ticks jitter).
 */
export function probeDue(p: ProbePace, s: PaceSettings, now: number): boolean {
  const tick = Math.min(s.probeIntervalMs, s.suspectIntervalMs);
  const pace = p.failures === 0 ? s.probeIntervalMs : s.suspectIntervalMs;
  return p.inFlight < s.failuresBeforeDown && now - p.lastProbeAt >= pace - tick / 2;
}

/** The rate limit: how many automatic declarations the last minute leaves room for. */
export function fenceBudget(declaredAt: number[], s: GuardSettings, now: number): number {
  return Math.max(0, s.fencesPerMinute - declaredAt.filter((t) => now - t < 60_000).length);
}
