import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { noteFailure } from '../logging.js';
import { codeOf } from '../api-error.js';
import { isServiceUnavailable } from './unavailable.js';

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

/**
 * What Fastify's own client errors (bad JSON, body too large, wrong content type, …) say here.
 * Never their own message: several quote the request back (`Unsupported Media Type: <the
 * client's Content-Type>`), and whatever the client wrote has no place in a body or a log line.
 */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Content-Type must be application/json',
  FST_ERR_CTP_INVALID_TYPE: 'Content-Type must be application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Malformed JSON body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/** Fastify's own client errors carry a statusCode and an FST_ code. */
function fastifyClientError(exception: unknown): { status: number; message: string } | undefined {
  const e = exception as { statusCode?: unknown; code?: unknown };
  if (
    typeof e?.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_')
  ) {
    return { status: e.statusCode, message: FASTIFY_MESSAGES[e.code] ?? REASONS[e.statusCode] ?? 'Bad request' };
  }
  return undefined;
}

/**
 * Every error leaves as `{statusCode, code, error, message}` (`code`: see api-error.ts); 401
 * carries `WWW-Authenticate: Bearer`; a database or Redis that cannot be reached is 503, and
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
          `dependency unreachable: ${(exception as Error).message}`,
        );
      } else reply.request.log.error({ context: 'ExceptionFilter', err: exception }, 'unhandled error');
    }
    if (status === HttpStatus.UNAUTHORIZED) reply.header('WWW-Authenticate', 'Bearer');
    if (status === HttpStatus.TOO_MANY_REQUESTS || status === HttpStatus.SERVICE_UNAVAILABLE) {
      const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
      // @nestjs/throttler sets its own (the time its block has left) before it throws; keep that.
      const given = Number(reply.getHeader('retry-after'));
      reply.header(
        'Retry-After',
        String(
          typeof retryAfter === 'number'
            ? Math.max(1, retryAfter)
            : given >= 1
              ? Math.ceil(given)
              : UNAVAILABLE_RETRY_S,
        ),
      );
    }
    if (error === undefined || error === message) error = REASONS[status] ?? 'Error';
    noteFailure(reply.request, message);
    reply.status(status).send({ statusCode: status, code: codeOf(exception, status), error, message });
  }
}
