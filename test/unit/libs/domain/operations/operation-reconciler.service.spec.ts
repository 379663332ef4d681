import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { JobItem, JobName, JobQueue, JobStatus } from '@app/jobs/job.contract';
import type { OperationEntity } from '@app/persistence/entities';
import type { OperationRepository } from '@app/domain/ports';
import { JobTable } from '@app/domain/operations/job-table';
import { OperationReconciler } from '@app/domain/operations/operation-reconciler.service';

const STALE_MS = 60_000;

const operation = (id: string, ageMs: number, status: 'queued' | 'running' = 'running'): OperationEntity =>
  ({
    id,
    type: 'create-database',
    status,
    databaseId: `db-${id}`,
    params: {},
    createdAt: new Date(Date.now() - ageMs),
  }) as OperationEntity;

/** The operations table: only what the reconciler uses; failUnfinished is conditional like the real one. */
class FakeOperations {
  readonly failed = new Map<string, string>();
  constructor(readonly ops: OperationEntity[]) {}
  async get(id: string) {
    return this.ops.find((o) => o.id === id) ?? null;
  }
  async listUnfinished() {
    return this.ops.filter((o) => o.status === 'queued' || o.status === 'running');
  }
  async failUnfinished(id: string, error: string) {
    const op = this.ops.find((o) => o.id === id);
    if (!op || (op.status !== 'queued' && op.status !== 'running')) return false;
    op.status = 'failed';
    this.failed.set(id, error);
    return true;
  }
}

class FakeJobs {
  readonly enqueued: string[] = [];
  constructor(readonly states: Record<string, JobStatus>) {}
  async status(id: string) {
    return this.states[id] ?? { state: 'missing' };
  }
  async enqueue(item: JobItem) {
    this.enqueued.push(item.data.operationId);
  }
}

class FakePolicy {
  readonly applied: [string, string, string][] = [];
  constructor(private readonly ops: OperationEntity[]) {}
  async applyFinalFailure(item: JobItem, message: string) {
    // Applied while the operation is still unfinished: whoever sees it failed finds its database closed.
    assert.equal(this.ops.find((o) => o.id === item.data.operationId)?.status, 'running');
    this.applied.push([item.name, item.data.operationId, message]);
  }
}

function reconciler(ops: OperationEntity[], states: Record<string, JobStatus>) {
  const operations = new FakeOperations(ops);
  const jobs = new FakeJobs(states);
  const policy = new FakePolicy(ops);
  const r = new OperationReconciler(
    operations as unknown as OperationRepository,
    jobs as unknown as JobQueue,
    policy as unknown as JobTable,
  );
  return { r, operations, jobs, policy };
}

describe('OperationReconciler', () => {
  before(() => Logger.overrideLogger(false));

  test('a job Bull failed ends its operation failed with the reason and applies the final-failure policy at once', async () => {
    const { r, operations, policy, jobs } = reconciler([operation('young', 1000)], {
      young: { state: 'failed', reason: 'job stalled more than allowable limit' },
    });
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 0, failed: 1 });
    const why = 'the job queue gave up on it: job stalled more than allowable limit';
    assert.equal(operations.failed.get('young'), why);
    assert.deepEqual(policy.applied, [['create-database', 'young', why]]);
    assert.deepEqual(jobs.enqueued, [], 'a failed job id is taken: enqueueing again would be ignored');
  });

  test('a failed job without a reason, a completed one, a lost one: each ends failed, with its own message', async () => {
    const { r, operations } = reconciler(
      [operation('no-reason', 1000), operation('completed', 1000), operation('lost', STALE_MS + 1000)],
      {
        'no-reason': { state: 'failed', reason: null },
        completed: { state: 'completed' },
        lost: { state: 'lost' },
      },
    );
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 0, failed: 3 });
    assert.equal(operations.failed.get('no-reason'), 'the job was lost or stalled without recording a result');
    assert.equal(operations.failed.get('completed'), 'the job ended without recording a result');
    assert.equal(operations.failed.get('lost'), 'the job was lost or stalled without recording a result');
  });

  test('an operation its last attempt ended since it was listed gets no second policy', async () => {
    const op = operation('raced', 1000);
    const { r, operations, policy } = reconciler([op], { raced: { state: 'failed', reason: 'boom' } });
    // Listed while running, then the job's own last attempt marks it failed before the reconciler does.
    const list = operations.listUnfinished.bind(operations);
    operations.listUnfinished = async () => {
      const found = await list();
      op.status = 'failed';
      return found;
    };
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 0, failed: 0 });
    assert.deepEqual(policy.applied, []);
  });

  test('no job: enqueued again only once stale; a pending job, or a young lost one, is left alone', async () => {
    const { r, jobs, operations, policy } = reconciler(
      [
        operation('old-missing', STALE_MS + 1000, 'queued'),
        operation('young-missing', 1000, 'queued'),
        operation('pending', STALE_MS + 1000),
        operation('young-lost', 1000),
      ],
      { pending: { state: 'pending' }, 'young-lost': { state: 'lost' } },
    );
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 1, failed: 0 });
    assert.deepEqual(jobs.enqueued, ['old-missing']);
    assert.equal(operations.failed.size, 0);
    assert.deepEqual(policy.applied, []);
  });

  test('a policy that throws still ends the operation failed', async () => {
    const { r, operations, policy } = reconciler([operation('op', 1000)], { op: { state: 'failed', reason: 'x' } });
    policy.applyFinalFailure = async () => {
      throw new Error('database unreachable');
    };
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 0, failed: 1 });
    assert.ok(operations.failed.has('op'));
  });

  test('one operation whose reconciliation throws does not hold the others back', async () => {
    const { r, jobs, operations } = reconciler([operation('broken', 1000), operation('fine', 1000)], {
      fine: { state: 'failed', reason: 'x' },
    });
    const status = jobs.status.bind(jobs);
    jobs.status = async (id: string) => {
      if (id === 'broken') throw new Error('redis hiccup');
      return status(id);
    };
    assert.deepEqual(await r.reconcile(STALE_MS), { requeued: 0, failed: 1 });
    assert.ok(operations.failed.has('fine'));
  });
});

describe('JobTable', () => {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const job = (name: string) => ({ run: record(name) }) as never;
  // Positional: the seven database jobs, takeover, backups, mover, the database jobs' outcome.
  const table = new JobTable(
    job('create'),
    job('delete'),
    job('restart'),
    job('rotate'),
    job('resize'),
    job('convert'),
    job('cidrs'),
    { run: record('takeover.run'), markFailed: record('takeover') } as never,
    { run: record('backups.run'), markFailed: record('backups') } as never,
    { run: record('mover.run'), markFailed: record('mover') } as never,
    { markFailed: record('database') } as never,
  );
  const data = { operationId: 'op', databaseId: 'db' };

  test('each job closes its own record: database, failover, backup, move (rolled back, then the database)', async () => {
    calls.length = 0;
    await table.applyFinalFailure({ name: JobName.CreateDatabase, data }, 'm1');
    await table.applyFinalFailure({ name: JobName.ResizeDatabase, data: { ...data, planId: 'p' } }, 'm2');
    await table.applyFinalFailure({ name: JobName.FailoverDatabase, data }, 'm3');
    await table.applyFinalFailure({ name: JobName.BackupDatabase, data }, 'm4');
    await table.applyFinalFailure({ name: JobName.MoveDatabase, data }, 'm5');
    assert.deepEqual(calls, [
      ['database', 'db', 'create-database', 'm1'],
      ['database', 'db', 'resize-database', 'm2'],
      ['takeover', 'op', 'db', 'm3'],
      ['backups', 'op', 'm4'],
      ['mover', 'op', 'db'],
      ['database', 'db', 'move-database', 'm5'],
    ]);
  });

  test('each job runs its own body with its payload', async () => {
    calls.length = 0;
    const op = { operationId: 'op' } as never;
    await table.run({ name: JobName.CreateDatabase, data }, op);
    await table.run({ name: JobName.ResizeDatabase, data: { ...data, planId: 'p' } }, op);
    await table.run({ name: JobName.UpdateAllowedCidrs, data }, op);
    await table.run({ name: JobName.MoveDatabase, data }, op);
    assert.deepEqual(calls, [
      ['create', 'db', op],
      ['resize', 'db', 'p', op],
      ['cidrs', 'db', op],
      ['mover.run', 'db', op],
    ]);
  });
});
