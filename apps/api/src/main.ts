import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiEnv, EnvValidationError, loadEnv, CommonEnv } from '@app/config';
import { keepRunningOnStrayRejections, recordProcessStart } from '@app/jobs';
import { bootLogger, REQUEST_ID_HEADER, requestIdOf, withLogging } from '@app/logging';
import { Logger as PinoLogger } from 'nestjs-pino';
import { dataSourceOptions } from '@app/persistence';
import { apiModule } from './app.module';
import { AuditRecorder } from './audit/audit-recorder.service';
import { serveConsole } from './console/console-static';
import { MetricsService } from './metrics/metrics.service';
import { ErrorBody } from './views/common.dto';

/** `main.js migrate`: applies pending migrations and exits (a deploy step, before any replica starts). */
async function migrate(): Promise<void> {
  const env = loadEnv(CommonEnv);
  const ds = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
  const done = await ds.runMigrations({ transaction: 'each' });
  console.log(done.length ? `applied: ${done.map((m) => m.name).join(', ')}` : 'schema up to date');
  await ds.destroy();
}

async function serve(): Promise<void> {
  const env = loadEnv(ApiEnv);
  keepRunningOnStrayRejections('Api');
  // Fastify names each request (`request.id`): the caller's x-request-id if sane, else a UUID. pino-http logs it.
  const adapter = new FastifyAdapter({ bodyLimit: 256 * 1024, genReqId: requestIdOf });
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging(apiModule(env), { service: 'api', level: env.LOG_LEVEL }),
    adapter,
    {
      // Nest's own start-up lines wait for the JSON logger (nestjs-pino), which then writes every line.
      bufferLogs: true,
      // The JSON parser is ours (acceptEmptyJson); the API takes no other body type.
      bodyParser: false,
    },
  );
  app.useLogger(app.get(PinoLogger));
  const fastify = app.getHttpAdapter().getInstance();
  acceptEmptyJson(fastify);
  fastify.addHook('onRequest', async (req, reply) => void reply.header(REQUEST_ID_HEADER, req.id));
  app.get(MetricsService).attach(fastify);
  app.get(AuditRecorder).attach(fastify);
  await serveConsole(fastify);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  await app.listen(env.API_PORT, env.API_HOST);
  await recordProcessStart(app, 'api', env.QUEUE_PREFIX);
  Logger.log(`API listening on http://${env.API_HOST}:${env.API_PORT} (docs at /docs)`, 'Main');
}

function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('DBaaS API')
      .setDescription("Managed databases: the tenant API (/v1) and the operators' admin API (/admin/v1).")
      .setVersion('1')
      .addBearerAuth()
      .build(),
    // Every error has this body (AllExceptionsFilter).
    { extraModels: [ErrorBody] },
  );
}

/**
 * `main.js openapi <file>`: writes the document /docs serves, with nothing running (a build step: the console's
 * types are generated from it, scripts/api-types.mjs). Preview mode scans the modules and their decorators without
 * instantiating a provider, so no connection is opened; the settings are placeholders no code reads.
 */
async function writeOpenApi(file = 'dist/openapi.json'): Promise<void> {
  const env = loadEnv(ApiEnv, {
    DATABASE_URL: 'postgres://openapi.invalid/none',
    REDIS_URL: 'redis://openapi.invalid:6379',
    MASTER_KEY: '0'.repeat(64),
  });
  const app = await NestFactory.create<NestFastifyApplication>(apiModule(env), new FastifyAdapter(), {
    preview: true,
    logger: ['error'],
  });
  await writeFile(file, JSON.stringify(openApiDocument(app), null, 2) + '\n');
}

/**
 * Scripts set `content-type: application/json` on every call, bodiless DELETEs and POSTs included; Fastify's
 * parser refuses those with a 400. An empty body is an empty body: anything else goes to Fastify's own parser
 * (kept for its prototype-poisoning checks), so malformed JSON is still a 400.
 */
function acceptEmptyJson(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' ? done(null, undefined) : parse(req, body as string, done),
  );
}

const modes: Record<string, () => Promise<void>> = {
  migrate,
  // The rate limit's Redis client is made with its module and would keep the process waiting.
  openapi: () => writeOpenApi(process.argv[3]).then(() => process.exit(0)),
};
const run = modes[process.argv[2] ?? ''] ?? serve;
run().catch((err) => {
  // A bad environment is the operator's to fix: say what is wrong, without a stack trace.
  bootLogger('api').fatal(err instanceof EnvValidationError ? err.message : (err?.stack ?? String(err)));
  process.exit(1);
});
