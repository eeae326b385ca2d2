import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { noteFailure } from '../logging.js';
import { apiHeaders, pageHeaders } from '../security-headers.js';

let headers: Record<string, string> | undefined;

/**
 * Fastify's `frameworkErrors`: the requests its router refuses before any hook or filter runs —
 * a path that is not valid percent-encoding, a path parameter over `maxParamLength`. Fastify's
 * own answer quotes the whole path back (a 2,000-character id, or whatever a client put there)
 * with a code of its own; this one is our error shape, a SPEC code, and the API's headers.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const server = (error.statusCode ?? 500) >= 500;
  const message = server ? 'Internal server error' : 'Malformed request path';
  noteFailure(request, message);
  void reply
    .headers((headers ??= apiHeaders(pageHeaders())))
    .header('x-request-id', request.id)
    .status(server ? 500 : 400)
    .send({
      statusCode: server ? 500 : 400,
      code: server ? 'internal_error' : 'validation_failed',
      error: server ? 'Internal Server Error' : 'Bad Request',
      message,
    });
}
