import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { JobItem, JobQueue, QueueName } from './job.contract';

@Injectable()
export class BullJobQueue implements JobQueue {
  constructor(@InjectQueue(QueueName.Databases) private readonly queue: Queue) {}

  async enqueue(item: JobItem): Promise<void> {
    // jobId = operation id: Bull ignores a second add of the same id, so retries of enqueue are safe.
    await this.queue.add(item.name, item.data, { jobId: item.data.operationId });
  }

  async isPending(operationId: string): Promise<boolean> {
    const job = await this.queue.getJob(operationId);
    if (!job) return false;
    const state = await job.getState();
    return ['waiting', 'delayed', 'active', 'paused'].includes(state);
  }
}
