import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import type { OperationEntity, OperationStatus } from '@app/persistence/entities';
import type { OperationRepository, ResourceLock } from '@app/domain/ports';
import { DomainException, ErrorKind } from '@app/domain/errors';
import { JobRun, OperationRunner } from '@app/domain/operations/operation-runner';
import {
  OperationCancelled,
  OperationContext,
  isPermanentCause,
  readableError,
  StepFailed,
} from '@app/domain/operations/operation-context';

const OP_ID = 'op-1';
const DB_ID = 'db-1';

/** Records every repository call in order; only the methods the runner uses do anything. */
class FakeOperations implements OperationRepository {
  readonly calls: unknown[][] = [];
  constructor(public op: Partial<OperationEntity> | null) {}
  async get(id: string) {
    this.calls.push(['get', id]);
    return this.op as OperationEntity | null;
  }
  async markRunning(id: string, attempt: number) {
    this.calls.push(['markRunning', id, attempt]);
  }
  async progress(id: string, progress: number, message: string) {
    this.calls.push(['progress', id, progress, message]);
  }
  async succeed(id: string) {
    this.calls.push(['succeed', id]);
  }
  async fail(id: string, error: string) {
    this.calls.push(['fail', id, error]);
  }
  names() {
    return this.calls.map((c) => c[0]);
  }
  async getForTenant(): Promise<OperationEntity | null> {
    throw new Error('unused');
  }
  async list(): Promise<OperationEntity[]> {
    throw new Error('unused');
  }
  async setParams(): Promise<void> {
    throw new Error('unused');
  }
  async failUnfinished(): Promise<boolean> {
    throw new Error('unused');
  }
  async listUnfinished(): Promise<OperationEntity[]> {
    throw new Error('unused');
  }
  async countByTypeAndStatus(): Promise<{ type: string; status: string; count: number }[]> {
    throw new Error('unused');
  }
}

class FakeLock implements ResourceLock {
  readonly keys: string[] = [];
  held = false;
  async tryHold(): Promise<null> {
    return null;
  }
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    this.keys.push(key);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}

class TestDomainError extends DomainException<'plan-missing'> {
  readonly kind = ErrorKind.Unprocessable;
}

function setup(status: OperationStatus = 'queued') {
  const ops = new FakeOperations({ id: OP_ID, type: 'create-database', status, progress: 40 });
  const lock = new FakeLock();
  const finalFailures: string[] = [];
  const runner = new OperationRunner(ops, lock);
  const onFinalFailure = async (m: string) => {
    finalFailures.push(m);
  };
  return { ops, lock, runner, finalFailures, onFinalFailure };
}

const job = (attempt: number, maxAttempts = 3): JobRun => ({
  operationId: OP_ID,
  databaseId: DB_ID,
  attempt,
  maxAttempts,
});

before(() => Logger.overrideLogger(false));

describe('OperationRunner', () => {
  test('success: marks running, runs the body under the database lock, then marks succeeded', async () => {
    const { ops, lock, runner, finalFailures, onFinalFailure } = setup();
    let seen: OperationContext | undefined;
    let heldDuringBody = false;
    await runner.run(
      job(2),
      async (ctx) => {
        seen = ctx;
        heldDuringBody = lock.held;
        await ctx.progress(55.4, 'pulling image');
      },
      onFinalFailure,
    );
    assert.deepEqual(ops.calls, [
      ['get', OP_ID],
      ['markRunning', OP_ID, 2],
      ['get', OP_ID],
      ['progress', OP_ID, 55, 'pulling image'],
      ['succeed', OP_ID],
    ]);
    assert.deepEqual(lock.keys, [`database:${DB_ID}`]);
    assert.equal(heldDuringBody, true);
    assert.equal(seen?.operationId, OP_ID);
    assert.equal(seen?.attempt, 2);
    assert.deepEqual(finalFailures, []);
  });

  test('progress is clamped to 0..100', async () => {
    const { ops, runner, onFinalFailure } = setup();
    await runner.run(
      job(1),
      async (ctx) => {
        await ctx.progress(150, 'over');
        await ctx.progress(-5, 'under');
      },
      onFinalFailure,
    );
    assert.deepEqual(
      ops.calls.filter((c) => c[0] === 'progress').map((c) => c[2]),
      [100, 0],
    );
  });

  test('a failure on a non-final attempt rethrows, records a retry note, and does not mark failed', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup();
    const boom = new StepFailed('pull', 'image not found');
    await assert.rejects(
      runner.run(
        job(1, 3),
        async () => {
          throw boom;
        },
        onFinalFailure,
      ),
      (err) => err === boom,
    );
    assert.deepEqual(ops.names(), ['get', 'markRunning', 'get', 'progress']);
    assert.deepEqual(ops.calls[3], [
      'progress',
      OP_ID,
      40,
      'attempt 1 failed (pull failed: image not found); retrying',
    ]);
    assert.ok(!ops.names().includes('fail'));
    assert.ok(!ops.names().includes('succeed'));
    assert.deepEqual(finalFailures, []);
  });

  test('a failure on the final attempt marks failed with the readable message, calls onFinalFailure, rethrows', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup('running');
    const boom = new StepFailed('readiness', 'the database did not accept connections within 180 s');
    await assert.rejects(
      runner.run(
        job(3, 3),
        async () => {
          throw boom;
        },
        onFinalFailure,
      ),
      (err) => err === boom,
    );
    const msg = 'readiness failed: the database did not accept connections within 180 s';
    assert.deepEqual(ops.calls, [
      ['get', OP_ID],
      ['markRunning', OP_ID, 3],
      ['get', OP_ID],
      ['fail', OP_ID, msg],
    ]);
    assert.deepEqual(finalFailures, [msg]);
  });

  test('an unknown error on the final attempt is recorded without its raw text', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup();
    await assert.rejects(
      runner.run(
        job(1, 1),
        async () => {
          throw new TypeError('connect ECONNREFUSED postgres://admin:hunter2@10.0.0.1');
        },
        onFinalFailure,
      ),
      TypeError,
    );
    const msg = 'internal error (TypeError); see the worker log';
    assert.deepEqual(ops.calls.at(-1), ['fail', OP_ID, msg]);
    assert.deepEqual(finalFailures, [msg]);
    assert.ok(!JSON.stringify(ops.calls).includes('hunter2'));
  });

  test('OperationCancelled marks failed with "cancelled:" and does not rethrow or call onFinalFailure', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup();
    await runner.run(
      job(1, 5),
      async () => {
        throw new OperationCancelled('the database is being deleted');
      },
      onFinalFailure,
    );
    assert.deepEqual(ops.calls, [
      ['get', OP_ID],
      ['markRunning', OP_ID, 1],
      ['get', OP_ID],
      ['fail', OP_ID, 'cancelled: the database is being deleted'],
    ]);
    assert.deepEqual(finalFailures, []);
  });

  test('an already finished operation is skipped: body not called, nothing written', async () => {
    for (const status of ['succeeded', 'failed'] as const) {
      const { ops, lock, runner, finalFailures, onFinalFailure } = setup(status);
      let called = false;
      await runner.run(
        job(1),
        async () => {
          called = true;
        },
        onFinalFailure,
      );
      assert.equal(called, false, status);
      assert.deepEqual(ops.calls, [['get', OP_ID]], status);
      assert.deepEqual(lock.keys, [], status);
      assert.deepEqual(finalFailures, [], status);
    }
  });

  test('a missing operation is skipped', async () => {
    const ops = new FakeOperations(null);
    const runner = new OperationRunner(ops, new FakeLock());
    let called = false;
    await runner.run(
      job(1),
      async () => {
        called = true;
      },
      async () => undefined,
    );
    assert.equal(called, false);
    assert.deepEqual(ops.calls, [['get', OP_ID]]);
  });
});

describe('readableError', () => {
  test('StepFailed and domain exceptions keep their message', () => {
    assert.equal(readableError(new StepFailed('volume', 'mkdir exited with 1')), 'volume failed: mkdir exited with 1');
    assert.equal(
      readableError(new TestDomainError('plan-missing', 'plan "xl" does not exist')),
      'plan "xl" does not exist',
    );
  });

  test("unknown errors' text is hidden behind their class name", () => {
    assert.equal(
      readableError(new Error('password authentication failed for "root"')),
      'internal error (Error); see the worker log',
    );
    assert.equal(readableError(new RangeError('x')), 'internal error (RangeError); see the worker log');
    assert.equal(readableError('a string'), 'internal error (Error); see the worker log');
    assert.equal(readableError(null), 'internal error (Error); see the worker log');
  });

  test('masks every occurrence of each secret, ignoring empty ones', () => {
    const err = new StepFailed('rotate', 'ALTER USER app PASSWORD s3cr3t failed; s3cr3t rejected by adm1n');
    assert.equal(
      readableError(err, ['s3cr3t', '', 'adm1n']),
      'rotate failed: ALTER USER app PASSWORD *** failed; *** rejected by ***',
    );
  });

  test('is capped at 2000 characters (room for the last log lines of a container)', () => {
    const msg = readableError(new StepFailed('s', 'x'.repeat(3000)));
    assert.equal(msg.length, 2000);
    assert.ok(msg.startsWith('s failed: xxx'));
  });
});

describe('permanent failures', () => {
  test('end the operation at the first attempt and tell the queue not to retry', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup();
    let discarded = 0;
    const err = new StepFailed('image pull', 'manifest unknown', { permanent: true });
    await assert.rejects(
      runner.run(
        { ...job(1, 5), discard: () => discarded++ },
        async () => {
          throw err;
        },
        onFinalFailure,
      ),
      err,
    );
    assert.equal(discarded, 1);
    assert.deepEqual(ops.names(), ['get', 'markRunning', 'get', 'fail']);
    assert.deepEqual(finalFailures, ['image pull failed: manifest unknown']);
  });

  test('a transient failure with attempts left is retried, not discarded', async () => {
    const { ops, runner, finalFailures, onFinalFailure } = setup();
    let discarded = 0;
    await assert.rejects(
      runner.run(
        { ...job(1, 5), discard: () => discarded++ },
        async () => {
          throw new StepFailed('container start', 'connect ECONNREFUSED');
        },
        onFinalFailure,
      ),
    );
    assert.equal(discarded, 0);
    assert.deepEqual(ops.names(), ['get', 'markRunning', 'get', 'progress']);
    assert.deepEqual(finalFailures, []);
  });

  test("Docker's and the registry's refusals of the request itself are permanent; the moment's failures are not", () => {
    const docker = (statusCode: number, message: string) =>
      Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
    for (const permanent of [
      docker(404, 'manifest for 127.0.0.1:5000/library/postgres:17 not found: manifest unknown: manifest unknown'),
      docker(500, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'),
      docker(500, 'pull access denied for nothing, repository does not exist or may require docker login'),
      new StepFailed('load', 'the database record is incomplete', { permanent: true }),
    ])
      assert.equal(isPermanentCause(permanent), true, permanent.message);
    for (const transient of [
      docker(500, 'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'),
      docker(404, 'No such container: dbaas-x'),
      docker(409, 'Conflict. The container name "/dbaas-x" is already in use'),
      docker(400, 'invalid mount config for type "bind": bind source path does not exist: /srv/dbaas/x/data'),
      new Error('socket hang up'),
      new StepFailed('readiness', 'the database did not accept connections within 180 s'),
    ])
      assert.equal(isPermanentCause(transient), false, transient.message);
  });

  test('a final-failure policy that throws leaves the operation unfinished, for the reconciler to end', async () => {
    const { ops, runner } = setup();
    await assert.rejects(
      runner.run(
        { ...job(1, 5), discard: () => undefined },
        async () => {
          throw new StepFailed('image pull', 'manifest unknown', { permanent: true });
        },
        async () => {
          throw new Error('metadata database unreachable');
        },
      ),
      /metadata database unreachable/,
    );
    assert.ok(!ops.names().includes('fail'));
  });
});

describe('OperationRunner: duplicate deliveries', () => {
  test('finished by another delivery while this one waited for the lock: the body does not run', async () => {
    const { ops, lock, runner, finalFailures, onFinalFailure } = setup('running');
    // The other delivery fails the operation while this one waits on the database's lock.
    const withLock = lock.withLock.bind(lock);
    lock.withLock = async <T>(key: string, fn: () => Promise<T>) => {
      ops.op = { ...ops.op, status: 'failed' };
      return withLock(key, fn);
    };
    let ran = false;
    await runner.run(
      job(3),
      async () => {
        ran = true;
      },
      onFinalFailure,
    );
    assert.equal(ran, false, 'the body of an operation already failed does not run');
    assert.ok(!ops.names().includes('succeed'), ops.names().join());
    assert.deepEqual(finalFailures, []);
  });
});
