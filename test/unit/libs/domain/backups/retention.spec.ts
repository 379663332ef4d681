import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backupsToPrune, retentionMs } from '@app/domain/backups/retention';

const at = (iso: string) => ({ id: iso, createdAt: new Date(iso) });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

describe('backup retention (grandfather-father-son)', () => {
  // Sunday 2026-11-22, 12:00 UTC; ISO weeks start on Mondays (Nov 16, Nov 9, Nov 2).
  const now = new Date('2026-11-22T12:00:00Z');

  test('keeps the newest of each of the last N days and of the last M weeks', () => {
    const backups = [
      at('2026-11-22T02:00:00Z'), // today: kept (day)
      at('2026-11-21T23:00:00Z'), // yesterday, newest: kept (day)
      at('2026-11-21T02:00:00Z'), // yesterday, older: pruned
      at('2026-11-20T02:00:00Z'), // 2 days ago: beyond 2 days, in this week but not its newest: pruned
      at('2026-11-15T02:00:00Z'), // Sunday of last week: its newest: kept (week)
      at('2026-11-10T02:00:00Z'), // last week, older: pruned
      at('2026-11-08T02:00:00Z'), // the week before: beyond 2 weeks: pruned
    ];
    const pruned = backupsToPrune(backups, 2, 2, now);
    assert.deepEqual(ids(pruned), ids([backups[2], backups[3], backups[5], backups[6]]));
  });

  test('zero retention still keeps the newest backup; nothing to prune in an empty list', () => {
    const backups = [at('2026-10-01T00:00:00Z'), at('2026-09-01T00:00:00Z')];
    assert.deepEqual(ids(backupsToPrune(backups, 0, 0, now)), ['2026-09-01T00:00:00Z']);
    assert.deepEqual(backupsToPrune([], 7, 4, now), []);
  });

  test('a day boundary is UTC midnight, a week boundary Monday 00:00 UTC', () => {
    const sundayLate = at('2026-11-15T23:59:59Z');
    const mondayEarly = at('2026-11-16T00:00:00Z');
    // 1 week kept: only this week's newest (Monday's) survives, Sunday belongs to the previous week.
    assert.deepEqual(ids(backupsToPrune([sundayLate, mondayEarly], 0, 1, now)), [sundayLate.id]);
  });

  test('a deleted database keeps its backups for its longest retention', () => {
    assert.equal(retentionMs(7, 4), 28 * 86_400_000);
    assert.equal(retentionMs(30, 1), 30 * 86_400_000);
    assert.equal(retentionMs(0, 0), 86_400_000);
  });
});
