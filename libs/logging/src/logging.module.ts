import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { httpOptions, type LoggingOptions } from './logger-options';

/**
 * The application's module with structured logging (nestjs-pino): its `Logger` takes the place of Nest's
 * (`app.useLogger(app.get(Logger))`), so every `new Logger(...)` and `Logger.log(...)` of the code writes JSON lines.
 * For HTTP, pino-http gives each request an id and a child logger that the request's lines use.
 */
export function withLogging(app: Type | DynamicModule, o: LoggingOptions): DynamicModule {
  class LoggedApplication {}
  // Every route: Nest 11's path syntax (the library's default `*` matches nothing under Fastify).
  const forRoutes = [{ path: '{*splat}', method: RequestMethod.ALL }];
  return { module: LoggedApplication, imports: [LoggerModule.forRoot({ pinoHttp: httpOptions(o), forRoutes }), app] };
}
