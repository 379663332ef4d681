import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnvValidationError, loadEnv, WorkerEnv } from '@app/config';
import { keepRunningOnStrayRejections, recordProcessStart } from '@app/jobs';
import { workerModule } from './worker.module';

/** The worker: a Nest application context with no HTTP, running the queue's jobs. */
async function main(): Promise<void> {
  const env = loadEnv(WorkerEnv);
  keepRunningOnStrayRejections('Worker');
  const app = await NestFactory.createApplicationContext(workerModule(env), {
    logger: ['error', 'warn', 'log', ...(env.LOG_LEVEL === 'debug' ? (['debug'] as const) : [])],
  });
  app.enableShutdownHooks();
  await recordProcessStart(app, 'worker', env.QUEUE_PREFIX);
  Logger.log(`worker running (concurrency ${env.WORKER_CONCURRENCY}, ${env.JOB_ATTEMPTS} attempts per job)`, 'Main');
}

main().catch((err) => {
  console.error(err instanceof EnvValidationError ? err.message : (err?.stack ?? err));
  process.exit(1);
});
