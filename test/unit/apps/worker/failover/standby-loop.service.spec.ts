import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { WorkerEnv } from '@app/config';
import type { StandbyService } from '@app/domain';
import type { ResourceLock } from '@app/domain/ports';
import { StandbyLoop } from '../../../../../apps/worker/src/failover/standby-loop.service';

Logger.overrideLogger(false);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

describe('StandbyLoop', () => {
  test('a change of placement (a host let back in, a database moved) makes a round at once, not at the interval', async () => {
    const { s, service } = standby();
    const env = { STANDBY_INTERVAL_MS: 60_000, STANDBY_CHECK_MS: 50 } as WorkerEnv;
    const loop = new StandbyLoop(env, held, service);
    loop.onApplicationBootstrap();
    try {
      await sleep(300);
      assert.equal(s.rounds, 1, 'a first round soon after the start');
      await sleep(300);
      assert.equal(s.rounds, 1, 'nothing changed: no other round before the interval');
      s.placement = 'b';
      await sleep(300);
      assert.equal(s.rounds, 2, 'the placement changed: a round within a check');
      await sleep(300);
      assert.equal(s.rounds, 2);
    } finally {
      await loop.onApplicationShutdown();
    }
  });

  test('a database an operation held (busy) is tried again at the next check, then not any more', async () => {
    const { s, service } = standby();
    s.busy = 1;
    const loop = new StandbyLoop({ STANDBY_INTERVAL_MS: 60_000, STANDBY_CHECK_MS: 50 } as WorkerEnv, held, service);
    loop.onApplicationBootstrap();
    try {
      await sleep(300);
      assert.ok(s.rounds >= 2, `${s.rounds} round(s) while busy`);
      s.busy = 0;
      await sleep(150);
      const after = s.rounds;
      await sleep(300);
      assert.equal(s.rounds, after, 'made: no other round before the interval');
    } finally {
      await loop.onApplicationShutdown();
    }
  });

  test('with nothing changed, a round still comes at each interval (a standby removed by hand is made again)', async () => {
    const { s, service } = standby();
    const env = { STANDBY_INTERVAL_MS: 400, STANDBY_CHECK_MS: 50 } as WorkerEnv;
    const loop = new StandbyLoop(env, held, service);
    loop.onApplicationBootstrap();
    try {
      await sleep(1_100);
      assert.ok(s.rounds >= 2 && s.rounds <= 4, `${s.rounds} rounds in 1.1 s at 0.4 s`);
    } finally {
      await loop.onApplicationShutdown();
    }
  });

  test('STANDBY_INTERVAL_MS=0: no round at all', async () => {
    const { s, service } = standby();
    const loop = new StandbyLoop({ STANDBY_INTERVAL_MS: 0, STANDBY_CHECK_MS: 50 } as WorkerEnv, held, service);
    loop.onApplicationBootstrap();
    await sleep(200);
    await loop.onApplicationShutdown();
    assert.equal(s.rounds, 0);
  });
});
