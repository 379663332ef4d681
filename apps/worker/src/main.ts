import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnvValidationError, loadEnv, WorkerEnv } from '@app/config';
import { keepRunningOnStrayRejections, recordProcessStart } from '@app/jobs';
import { bootLogger, withLogging } from '@app/logging';
import { Logger as PinoLogger } from 'nestjs-pino';
import { workerModule } from './worker.module';

/** The worker: a Nest application context with no HTTP, running the queue's jobs. */
async function main(): Promise<void> {
  const env = loadEnv(WorkerEnv);
  keepRunningOnStrayRejections('Worker');
  const app = await NestFactory.createApplicationContext(
    withLogging(workerModule(env), { service: 'worker', level: env.LOG_LEVEL }),
    // Nest's own start-up lines wait for the JSON logger (nestjs-pino), which then writes every line.
    { bufferLogs: true },
  );
  app.useLogger(app.get(PinoLogger));
  app.enableShutdownHooks();
  await recordProcessStart(app, 'worker', env.QUEUE_PREFIX);
  Logger.log(`worker running (concurrency ${env.WORKER_CONCURRENCY}, ${env.JOB_ATTEMPTS} attempts per job)`, 'Main');
}

main().catch((err) => {
  bootLogger('worker').fatal(err instanceof EnvValidationError ? err.message : (err?.stack ?? String(err)));
  process.exit(1);
});
