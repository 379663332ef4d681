import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CommandValidationException, DomainException, ErrorKind } from '@app/domain';

const STATUS: Record<ErrorKind, number> = {
  [ErrorKind.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorKind.Conflict]: HttpStatus.CONFLICT,
  [ErrorKind.Invalid]: HttpStatus.BAD_REQUEST,
  [ErrorKind.Unprocessable]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ErrorKind.Unavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorKind.Forbidden]: HttpStatus.FORBIDDEN,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The single place where errors become HTTP: `{ statusCode, error, message }`, never a stack trace nor a
 * raw SQL or shell error text (those are logged, not returned).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { statusCode, message } = this.describe(exception);
    void reply.status(statusCode).send({ statusCode, error: REASON[statusCode] ?? 'Error', message });
  }

  private describe(exception: unknown): { statusCode: number; message: string | string[] } {
    if (exception instanceof CommandValidationException) return { statusCode: 400, message: exception.details };
    if (exception instanceof DomainException) return { statusCode: STATUS[exception.kind], message: exception.message };
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message =
        typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? exception.message);
      return { statusCode: exception.getStatus(), message };
    }
    // Fastify's own errors (malformed JSON, wrong content type, body too large) carry a 4xx statusCode.
    const fst = exception as { statusCode?: number; code?: string; message?: string };
    if (
      typeof fst?.statusCode === 'number' &&
      fst.statusCode >= 400 &&
      fst.statusCode < 500 &&
      fst.code?.startsWith('FST_')
    ) {
      return {
        statusCode: fst.statusCode,
        message: fst.statusCode === 400 ? 'malformed request body' : (REASON[fst.statusCode] ?? 'bad request'),
      };
    }
    this.logger.error((exception as Error)?.stack ?? String(exception));
    return { statusCode: 500, message: 'internal error' };
  }
}
