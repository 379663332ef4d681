import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Job, JobStatus as BullState, Queue } from 'bull';
import { JobItem, JobQueue, JobStatus, QueueName } from './job.contract';

@Injectable()
export class BullJobQueue implements JobQueue {
  constructor(@InjectQueue(QueueName.Databases) private readonly queue: Queue) {}

  async enqueue(item: JobItem): Promise<void> {
    // jobId = operation id: Bull ignores a second add of the same id, so retries of enqueue are safe.
    await this.queue.add(item.name, item.data, { jobId: item.data.operationId });
  }

  async status(operationId: string): Promise<JobStatus> {
    const job = await this.queue.getJob(operationId);
    if (!job) return { state: 'missing' };
    let state = await job.getState();
    // getState reads the lists one after another: a job moving between two of them reads as in none ("stuck").
    // Each move is atomic, so a second read settles it.
    if (state === 'stuck') state = await job.getState();
    return this.toStatus(job, state);
  }

  private toStatus(job: Job, state: BullState | 'stuck'): JobStatus {
    switch (state) {
      case 'failed':
        return { state: 'failed', reason: job.failedReason ?? null };
      case 'completed':
        return { state: 'completed' };
      case 'stuck':
        return { state: 'lost' };
      default:
        return { state: 'pending' };
    }
  }
}
