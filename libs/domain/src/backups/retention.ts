/**
 * Which scheduled backups to delete: kept are the newest backup of each of the last `daily` calendar days (UTC)
 * and the newest of each of the last `weekly` ISO weeks, counted back from `now` (grandfather-father-son).
 * The newest backup overall is always kept, whatever the plan says.
 */
export function backupsToPrune<T extends { id: string; createdAt: Date }>(
  backups: T[],
  daily: number,
  weekly: number,
  now: Date,
): T[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const keep = new Set<string>();
  if (newestFirst.length) keep.add(newestFirst[0].id);
  const today = dayNumber(now);
  const thisWeek = weekNumber(now);
  const seenDays = new Set<number>();
  const seenWeeks = new Set<number>();
  for (const b of newestFirst) {
    const d = dayNumber(b.createdAt);
    if (today - d < daily && !seenDays.has(d)) {
      seenDays.add(d);
      keep.add(b.id);
    }
    const w = weekNumber(b.createdAt);
    if (thisWeek - w < weekly && !seenWeeks.has(w)) {
      seenWeeks.add(w);
      keep.add(b.id);
    }
  }
  return newestFirst.filter((b) => !keep.has(b.id));
}

/** Days since the epoch (UTC). */
function dayNumber(d: Date): number {
  return Math.floor(d.getTime() / 86_400_000);
}

/** ISO weeks (Monday to Sunday) since the epoch: 1970-01-01 was a Thursday, so weeks start 3 days later. */
function weekNumber(d: Date): number {
  return Math.floor((dayNumber(d) + 3) / 7);
}

/** How long a deleted database's backups are kept: as long as the longest retention of its plan. */
export function retentionMs(daily: number, weekly: number): number {
  return Math.max(daily, weekly * 7, 1) * 86_400_000;
}
