import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { noteFailure, safeErrorMessage } from '../logging.js';
import { challengeOf, codeOf } from '../api-error.js';
import { isLockConflict, isServiceUnavailable, isWriteRefused } from './unavailable.js';

/** What a 503 (or a 429 that does not know better) tells the client to wait, in seconds. */
const UNAVAILABLE_RETRY_S = 5;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Fastify's own client errors (bad JSON, body too large, wrong content type) carry a statusCode. */
function fastifyClientError(exception: unknown): { status: number; message: string } | undefined {
  const e = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (
    typeof e?.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_')
  ) {
    const message =
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(String(e.message))
        ? 'Malformed JSON body'
        : String(e.message);
    return { status: e.statusCode, message };
  }
  return undefined;
}

function unavailableCause(exception: unknown): string {
  if (isWriteRefused(exception)) return 'database refused the write';
  if (isLockConflict(exception)) return 'database lock conflict outlasted its retries';
  return 'dependency unreachable';
}

/**
 * Every error leaves as `{statusCode, code, error, message}` (`code`: see api-error.ts); 401
 * carries `WWW-Authenticate: Bearer`, or the scheme the exception names (`Basic` for the OAuth
 * clients); a database or Redis that cannot be reached, a database that refuses writes
 * (read-only, full), or a lock conflict that outlasted TransactionRunner's retries, is 503, and
 * every 503 and 429 carries `Retry-After`; anything unexpected becomes a bare 500 (logged here,
 * never shown to the client).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message: unknown = 'Internal server error';
    let error: string | undefined;

    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'string') message = body;
      else {
        const b = body as { message?: unknown; error?: unknown };
        message = b.message ?? exception.message;
        if (typeof b.error === 'string') error = b.error;
      }
    } else {
      const client = fastifyClientError(exception);
      if (client) ({ status, message } = client);
      else if (isServiceUnavailable(exception)) {
        status = HttpStatus.SERVICE_UNAVAILABLE;
        message = 'Service temporarily unavailable; try again shortly';
        reply.request.log.warn(
          { context: 'ExceptionFilter' },
          `${unavailableCause(exception)}: ${safeErrorMessage(exception)}`,
        );
      } else reply.request.log.error({ context: 'ExceptionFilter', err: exception }, 'unhandled error');
    }
    if (status === HttpStatus.UNAUTHORIZED) reply.header('WWW-Authenticate', challengeOf(exception));
    if (status === HttpStatus.TOO_MANY_REQUESTS || status === HttpStatus.SERVICE_UNAVAILABLE) {
      const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
      // The throttler sets its own (the window's remainder) before it throws: keep it.
      if (typeof retryAfter === 'number') reply.header('Retry-After', String(Math.max(1, retryAfter)));
      else if (!reply.hasHeader('Retry-After')) reply.header('Retry-After', String(UNAVAILABLE_RETRY_S));
    }
    if (error === undefined || error === message) error = REASONS[status] ?? 'Error';
    noteFailure(reply.request, message);
    reply.status(status).send({ statusCode: status, code: codeOf(exception, status), error, message });
  }
}
