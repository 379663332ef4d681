import { BullModule } from '@nestjs/bull';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import { BullJobQueue } from './bull-job-queue';
import { JOB_QUEUE, QueueName } from './job.contract';

export interface JobsOptions {
  attempts: number;
  backoffMs: number;
  lockMs?: number;
  /** How many times a job whose worker died is taken back before Bull fails it for good. */
  maxStalledCount?: number;
}

/** Bull on Redis, with the retry policy every job shares. */
@Global()
@Module({})
export class JobsModule {
  static forRoot(opts: JobsOptions): DynamicModule {
    return {
      module: JobsModule,
      imports: [
        BullModule.forRootAsync({
          inject: [ENV],
          useFactory: (env: CommonEnv) => ({
            url: env.REDIS_URL,
            prefix: env.QUEUE_PREFIX,
            defaultJobOptions: {
              attempts: opts.attempts,
              backoff: { type: 'exponential', delay: opts.backoffMs },
              removeOnComplete: 1000,
              removeOnFail: 5000,
            },
            settings: {
              // A job whose worker died is taken back after the lock expires (crash recovery).
              lockDuration: opts.lockMs ?? 15000,
              stalledInterval: Math.max(1000, Math.floor((opts.lockMs ?? 15000) / 3)),
              maxStalledCount: opts.maxStalledCount ?? 3,
            },
          }),
        }),
        BullModule.registerQueue({ name: QueueName.Databases }),
      ],
      providers: [{ provide: JOB_QUEUE, useClass: BullJobQueue }],
      exports: [JOB_QUEUE, BullModule],
    };
  }
}
