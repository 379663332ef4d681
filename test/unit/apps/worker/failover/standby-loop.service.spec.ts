import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { WorkerEnv } from '@app/config';
import type { StandbyService } from '@app/domain';
import type { ResourceLock } from '@app/domain/ports';
import { StandbyLoop } from '../../../../../apps/worker/src/failover/standby-loop.service';

Logger.overrideLogger(false);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A lock this replica always holds: the loop's own logic is what is tested. */
const held: ResourceLock = {
  withLock: (_k, fn) => fn(),
  tryHold: async () => ({ alive: async () => true, release: async () => undefined }),
};

/** A standby service whose placement the test sets; it counts the rounds. */
function standby() {
  const s = { placement: 'a', rounds: 0, busy: 0 };
  const service = {
    placement: async () => s.placement,
    prepareAll: async () => {
      s.rounds++;
      return { ready: 0, 'not-known': 0, 'not-made': 0, busy: s.busy };
    },
  } as unknown as StandbyService;
  return { s, service };
}

/** Waits for `cond` (bounded: a slow machine delays the loop's timers, it does not change what they do). */
async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); await sleep(10))
    assert.ok(Date.now() < deadline, `${what}: not within ${ms} ms`);
}

/** Runs `body` with a loop started on `env` (checks every 50 ms) and always stops it. */
async function withLoop(interval: number, service: StandbyService, body: () => Promise<void>): Promise<void> {
  const loop = new StandbyLoop({ STANDBY_INTERVAL_MS: interval, STANDBY_CHECK_MS: 50 } as WorkerEnv, held, service);
  loop.onApplicationBootstrap();
  try {
    await body();
  } finally {
    await loop.onApplicationShutdown();
  }
}

describe('StandbyLoop', () => {
  test('a change of placement (a host let back in, a database moved) makes a round at once, not at the interval', async () => {
    const { s, service } = standby();
    await withLoop(60_000, service, async () => {
      await until(() => s.rounds === 1, 'a first round soon after the start');
      await sleep(300);
      assert.equal(s.rounds, 1, 'nothing changed: no other round before the interval');
      s.placement = 'b';
      await until(() => s.rounds === 2, 'the placement changed: a round within a check');
      await sleep(300);
      assert.equal(s.rounds, 2);
    });
  });

  test('a database an operation held (busy) is tried again at the next check, then not any more', async () => {
    const { s, service } = standby();
    s.busy = 1;
    await withLoop(60_000, service, async () => {
      await until(() => s.rounds >= 2, 'a second round while busy');
      s.busy = 0;
      const made = s.rounds + 1;
      await until(() => s.rounds >= made, 'the round that finds it free');
      await sleep(300);
      assert.equal(s.rounds, made, 'made: no other round before the interval');
    });
  });

  test('with nothing changed, a round still comes at each interval (a standby removed by hand is made again)', async () => {
    const { s, service } = standby();
    await withLoop(400, service, async () => {
      await until(() => s.rounds === 1, 'the first round');
      const first = Date.now();
      await until(() => s.rounds === 2, 'the second round');
      assert.ok(Date.now() - first >= 300, `the second round ${Date.now() - first} ms after the first, not at 400`);
    });
  });

  test('STANDBY_INTERVAL_MS=0: no round at all', async () => {
    const { s, service } = standby();
    await withLoop(0, service, () => sleep(200));
    assert.equal(s.rounds, 0);
  });
});
