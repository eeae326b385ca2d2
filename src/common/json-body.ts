import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from './api-error.js';

/** The deepest body accepted; the top-level object or array is level 1 (SPEC "Identifiers and errors"). */
export const MAX_BODY_DEPTH = 32;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deeply the JSON text nests objects and arrays, stopping as soon as it passes `limit`: one
 * loop over the characters, outside strings, no recursion and nothing allocated — so a body of
 * thousands of `[` costs a scan, where validating the parsed value (class-transformer and
 * class-validator recurse) overflowed the stack.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/**
 * The body parsers, ours: `application/json` (any parameters) only. Every other content type —
 * form-encoded, text/plain, multipart, or a body without one — has no parser, so Fastify answers
 * 415 before anything is parsed, validated or stored: no form a web page can post cross-origin
 * without a preflight reaches a route, and no form-decoded body turns a password into a property
 * name that validation would quote. Nest's own parsers (JSON and form-encoded) are off
 * (`bodyParser: false`). JSON is parsed by Fastify's parser (prototype poisoning refused), after
 * the depth check; an empty body is no body.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      if (jsonDepthExceeds(text, MAX_BODY_DEPTH))
        return done(apiError(400, 'validation_failed', `Body is nested deeper than ${MAX_BODY_DEPTH} levels`));
      void parse(request, text, done);
    },
  );
}
