import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Level, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { Options as HttpOptions } from 'pino-http';
import { currentLogContext } from './log-context';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only if it is a plain token (no spaces, quotes or control characters to forge log lines).
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token, else a new UUID (Fastify's genReqId: `request.id`). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** pino-http's genReqId: the id the HTTP server gave the request (Fastify's), or one of ours; sent back. */
function requestId(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  const id = typeof req.id === 'string' && req.id ? req.id : requestIdOf(req);
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Nest's level names (LOG_LEVEL) as pino's. */
const LEVELS: Record<string, Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

export interface LoggingOptions {
  /** `api` or `worker`: on every line, to tell the processes apart in one collector. */
  service: string;
  /** LOG_LEVEL, in Nest's names (error, warn, log, debug, verbose). */
  level: string;
}

/**
 * One JSON object per line on stdout (what the log files and collectors read); pino-pretty only when stdout is a
 * terminal. Every line carries the current log context (a job's operation, database and host ids).
 */
export function loggerOptions(o: LoggingOptions): [LoggerOptions, DestinationStream] {
  const options: LoggerOptions = {
    level: LEVELS[o.level] ?? 'info',
    base: { service: o.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => ({ ...currentLogContext() }),
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
  };
  // Synchronous writes: the last lines before a crash or process.exit are not lost.
  const dest = process.stdout.isTTY
    ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' })
    : pino.destination({ dest: 1, sync: true });
  return [options, dest];
}

/** A logger for before Nest's exists (a bad environment at boot), in the same format. */
export function bootLogger(service: string): pino.Logger {
  return pino(...loggerOptions({ service, level: 'log' }));
}

/** pino-http: a request id on every line of a request, one line per completed request (health and metrics aside). */
export function httpOptions(o: LoggingOptions): HttpOptions {
  const [options, stream] = loggerOptions(o);
  return {
    ...options,
    stream,
    genReqId: requestId,
    // Lines logged during the request carry `reqId` only; the completion line has method, url and status.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    autoLogging: { ignore: (req) => /^\/(healthz|metrics)(\?|$)/.test(req.url ?? '') },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
