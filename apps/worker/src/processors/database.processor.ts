import { InjectQueue, OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Inject, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { CommonEnv, ENV } from '@app/config';
import {
  BackupRunner,
  DatabaseMover,
  ConvertPrivilegesJob,
  CreateDatabaseJob,
  DeleteDatabaseJob,
  FinalFailurePolicy,
  OperationRunner,
  ResizeDatabaseJob,
  RestartDatabaseJob,
  RotatePasswordJob,
  TakeoverService,
  UpdateAllowedCidrsJob,
} from '@app/domain';
import { JobItem, JobName, QueueName, jobCounterKey } from '@app/jobs';

// Bull takes the concurrency when the decorator runs, before Nest's config exists.
const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 20) || 20;

/** Routes each database job to its domain method; the runner owns status, locking, retries and errors. */
@Processor(QueueName.Databases)
export class DatabaseProcessor {
  private readonly logger = new Logger(DatabaseProcessor.name);

  constructor(
    private readonly runner: OperationRunner,
    private readonly createJob: CreateDatabaseJob,
    private readonly deleteJob: DeleteDatabaseJob,
    private readonly restartJob: RestartDatabaseJob,
    private readonly rotatePasswordJob: RotatePasswordJob,
    private readonly resizeJob: ResizeDatabaseJob,
    private readonly convertPrivilegesJob: ConvertPrivilegesJob,
    private readonly updateAllowedCidrsJob: UpdateAllowedCidrsJob,
    private readonly takeover: TakeoverService,
    private readonly backups: BackupRunner,
    private readonly mover: DatabaseMover,
    private readonly finalFailure: FinalFailurePolicy,
    @Inject(ENV) private readonly env: CommonEnv,
    @InjectQueue(QueueName.Databases) private readonly queue: Queue,
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
    const fail = (message: string) => this.finalFailure.apply(item, message);
    try {
      await this.runner.run(run, (op) => this.dispatch(item, op), fail);
      await this.count(item.name, 'succeeded');
    } catch (err) {
      await this.count(item.name, 'failed');
      throw err;
    }
  }

  private dispatch(item: JobItem, op: Parameters<Parameters<OperationRunner['run']>[1]>[0]): Promise<void> {
    switch (item.name) {
      case JobName.CreateDatabase:
        return this.createJob.run(item.data.databaseId, op);
      case JobName.DeleteDatabase:
        return this.deleteJob.run(item.data.databaseId, op);
      case JobName.RestartDatabase:
        return this.restartJob.run(item.data.databaseId, op);
      case JobName.RotatePassword:
        return this.rotatePasswordJob.run(item.data.databaseId, op);
      case JobName.ResizeDatabase:
        return this.resizeJob.run(item.data.databaseId, item.data.planId, op);
      case JobName.FailoverDatabase:
        return this.takeover.run(item.data.databaseId, op);
      case JobName.BackupDatabase:
        return this.backups.run(item.data.databaseId, op);
      case JobName.MoveDatabase:
        return this.mover.run(item.data.databaseId, op);
      case JobName.ConvertPrivileges:
        return this.convertPrivilegesJob.run(item.data.databaseId, op);
      case JobName.UpdateAllowedCidrs:
        return this.updateAllowedCidrsJob.run(item.data.databaseId, op);
    }
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
