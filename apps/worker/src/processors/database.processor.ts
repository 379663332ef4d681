import { InjectQueue, OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Inject, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { CommonEnv, ENV } from '@app/config';
import { DATABASE_REPOSITORY, type DatabaseRepository, JobTable, OperationRunner } from '@app/domain';
import { JobItem, QueueName, jobCounterKey } from '@app/jobs';
import { runJobWithLogContext } from '@app/logging';

// Bull takes the concurrency when the decorator runs, before Nest's config exists.
const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 20) || 20;

/**
 * Bull's side of the database jobs: each job is looked up in the domain's JobTable (its body and its final-failure
 * policy) and run by the OperationRunner, which owns status, locking, retries and errors.
 */
@Processor(QueueName.Databases)
export class DatabaseProcessor {
  private readonly logger = new Logger(DatabaseProcessor.name);

  constructor(
    private readonly runner: OperationRunner,
    private readonly jobTable: JobTable,
    @Inject(ENV) private readonly env: CommonEnv,
    @InjectQueue(QueueName.Databases) private readonly queue: Queue,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
  ) {}

  @Process({ name: '*', concurrency: CONCURRENCY })
  async handle(job: Job<JobItem['data']>): Promise<void> {
    const item = { name: job.name, data: job.data } as JobItem;
    const run = {
      operationId: item.data.operationId,
      databaseId: item.data.databaseId,
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      discard: () => job.discard(),
    };
    const fail = (message: string) => this.jobTable.applyFinalFailure(item, message);
    try {
      const hostId = await this.hostOf(item.data);
      await runJobWithLogContext({ ...run, hostId, jobName: item.name }, () =>
        this.runner.run(run, (op) => this.jobTable.run(item, op), fail),
      );
      await this.count(item.name, 'succeeded');
    } catch (err) {
      await this.count(item.name, 'failed');
      throw err;
    }
  }

  /**
   * The host for the job's log lines: the one the job carries, else its database's when the job starts (none yet
   * for a database being created; a move or failover logs under the host it started from).
   */
  private async hostOf(data: JobItem['data']): Promise<string | undefined> {
    const carried = (data as { hostId?: unknown }).hostId;
    if (typeof carried === 'string') return carried;
    // Only a log field: a row that cannot be read now leaves it out rather than failing the job.
    const db = await this.databases.get(data.databaseId).catch(() => null);
    return db?.hostId ?? undefined;
  }

  private async count(job: string, result: string): Promise<void> {
    // Counted in Redis so the API's /metrics sees every worker replica's jobs; metrics never fail a job.
    await this.queue.client.hincrby(jobCounterKey(this.env.QUEUE_PREFIX), `${job}|${result}`, 1).catch(() => undefined);
  }

  @OnQueueFailed()
  onFailed(job: Job, err: Error): void {
    this.logger.warn(`job ${job.name} ${job.id} attempt ${job.attemptsMade}/${job.opts.attempts}: ${err.message}`);
  }
}
