/**
 * A directory volume's quota, judged from its measured size: the levels, when they change, and what the tenant is
 * told. Pure functions (the state machine is unit-tested; the use case applies it).
 */
import type { QuotaState } from '@app/persistence/entities';

export type { QuotaState };

/** Lowest ratio (used / limit) of each level, from the highest. */
export const QUOTA_THRESHOLDS: readonly { state: QuotaState; ratio: number }[] = [
  { state: 'read-only', ratio: 1.0 },
  { state: 'critical', ratio: 0.9 },
  { state: 'warning', ratio: 0.8 },
];

/**
 * How far below a threshold the usage must fall to leave its level: a volume hovering at a threshold (a table that
 * grows and is vacuumed, WAL segments recycled) changes level once, not at every sample.
 */
export const QUOTA_HYSTERESIS = 0.02;

const ORDER: Record<QuotaState, number> = { ok: 0, warning: 1, critical: 2, 'read-only': 3 };

/** The level of a ratio, without memory. */
export function quotaLevel(ratio: number): QuotaState {
  return QUOTA_THRESHOLDS.find((t) => ratio >= t.ratio)?.state ?? 'ok';
}

/**
 * The next state from the previous one (null: never judged) and a new measurement. Up at once when a threshold is
 * reached; down only when the usage is QUOTA_HYSTERESIS under the threshold of the level it leaves.
 */
export function nextQuotaState(prev: QuotaState | null, usedBytes: number, limitBytes: number): QuotaState {
  if (limitBytes <= 0) return 'ok';
  const ratio = usedBytes / limitBytes;
  const level = quotaLevel(ratio);
  if (prev === null || ORDER[level] >= ORDER[prev]) return level;
  // Going down: as far as the usage would reach with the margin added (never above where it was).
  const sticky = quotaLevel(ratio + QUOTA_HYSTERESIS);
  return ORDER[sticky] < ORDER[prev] ? sticky : prev;
}

export function isUp(prev: QuotaState | null, next: QuotaState): boolean {
  return ORDER[next] > ORDER[prev ?? 'ok'];
}

/** 0 ok, 1 warning, 2 critical, 3 read-only (the metric's value). */
export function quotaStateValue(state: QuotaState): number {
  return ORDER[state];
}

const size = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** What the tenant reads in its database's view (null: nothing to say). */
export function quotaNotice(state: QuotaState, usedBytes: number, limitBytes: number): string | null {
  const pct = Math.round((usedBytes / limitBytes) * 100);
  const of = `${size(usedBytes)} of ${size(limitBytes)} (${pct} %)`;
  switch (state) {
    case 'ok':
      return null;
    case 'warning':
    case 'critical':
      return `the volume is ${pct >= 90 ? 'nearly ' : ''}full: ${of}; at 100 % the database becomes read-only (a bigger plan: POST /v1/databases/:id/resize)`;
    case 'read-only':
      return `the volume is full: ${of}; the database is read-only until it holds less than its plan (a bigger plan: POST /v1/databases/:id/resize)`;
  }
}

/** The event recorded when the state changes (one per crossing). */
export function quotaEvent(
  prev: QuotaState | null,
  next: QuotaState,
  usedBytes: number,
  limitBytes: number,
): { type: string; message: string } {
  const pct = Math.round((usedBytes / limitBytes) * 100);
  const of = `${size(usedBytes)} of ${size(limitBytes)} (${pct} %)`;
  const type = `database.quota-${next}`;
  if (next === 'read-only') return { type, message: `volume full, ${of}: the database is read-only` };
  if (prev === 'read-only') return { type, message: `${of} used: the database is writable again` };
  if (isUp(prev, next)) return { type, message: `${of} of the volume used (${next})` };
  return { type, message: `${of} of the volume used: back to ${next}` };
}
