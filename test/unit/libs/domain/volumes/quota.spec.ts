import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nextQuotaState, quotaEvent, quotaLevel, quotaNotice, QuotaState } from '@app/domain/volumes/quota';

const L = 1000;

/** Runs a sequence of measurements through the state machine: the states, and the events (changes) it raised. */
function run(usages: number[], start: QuotaState | null = null): { states: QuotaState[]; events: string[] } {
  let s = start;
  const states: QuotaState[] = [];
  const events: string[] = [];
  for (const u of usages) {
    const n = nextQuotaState(s, u, L);
    if (n !== s && s !== null) events.push(quotaEvent(s, n, u, L).type);
    if (s === null && n !== 'ok') events.push(quotaEvent(s, n, u, L).type);
    s = n;
    states.push(n);
  }
  return { states, events };
}

describe('quota state machine', () => {
  test('levels at 80, 90 and 100 %', () => {
    assert.equal(quotaLevel(0), 'ok');
    assert.equal(quotaLevel(0.799), 'ok');
    assert.equal(quotaLevel(0.8), 'warning');
    assert.equal(quotaLevel(0.899), 'warning');
    assert.equal(quotaLevel(0.9), 'critical');
    assert.equal(quotaLevel(0.999), 'critical');
    assert.equal(quotaLevel(1), 'read-only');
    assert.equal(quotaLevel(1.5), 'read-only');
  });

  test('each crossing raises one event, not one per sample', () => {
    const { states, events } = run([100, 500, 810, 820, 850, 880, 905, 910, 950, 990, 1000, 1010, 1200]);
    assert.deepEqual(states.slice(-3), ['read-only', 'read-only', 'read-only']);
    assert.deepEqual(events, ['database.quota-warning', 'database.quota-critical', 'database.quota-read-only']);
  });

  test('hovering at a threshold does not flap', () => {
    const { states, events } = run([799, 801, 799, 805, 795, 801, 790, 779]);
    assert.deepEqual(states, ['ok', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'ok']);
    assert.deepEqual(events, ['database.quota-warning', 'database.quota-ok']);
  });

  test('read-only holds until the usage is clearly under the limit', () => {
    assert.equal(nextQuotaState('read-only', 995, L), 'read-only');
    assert.equal(nextQuotaState('read-only', 981, L), 'read-only');
    assert.equal(nextQuotaState('read-only', 979, L), 'critical');
    // A resize: the limit grows, the usage is a quarter of it.
    assert.equal(nextQuotaState('read-only', 1010, 4 * L), 'ok');
  });

  test('a jump crosses several thresholds in one sample: one event, for where it landed', () => {
    const { events } = run([100, 1100]);
    assert.deepEqual(events, ['database.quota-read-only']);
    assert.equal(quotaEvent('read-only', 'ok', 1000, 4000).message.includes('writable again'), true);
  });

  test('a volume judged for the first time starts at its level (a moved or cloned database)', () => {
    assert.equal(nextQuotaState(null, 100, L), 'ok');
    assert.equal(nextQuotaState(null, 950, L), 'critical');
    assert.equal(nextQuotaState(null, 1000, L), 'read-only');
  });

  test('no limit, no verdict', () => {
    assert.equal(nextQuotaState('warning', 5, 0), 'ok');
  });

  test('the notice names the usage and the way out', () => {
    assert.equal(quotaNotice('ok', 1, L), null);
    assert.match(quotaNotice('read-only', 2 ** 30, 2 ** 30)!, /read-only.*resize/);
    assert.match(quotaNotice('critical', 0.95 * 2 ** 30, 2 ** 30)!, /nearly full: 973 MiB of 1\.00 GiB \(95 %\)/);
  });
});
