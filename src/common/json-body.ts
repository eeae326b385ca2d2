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

/** A route's Fastify config (Nest's `@RouteConfig`) naming the form fields it reads: it takes form bodies only. */
export interface FormRouteConfig {
  form: readonly string[];
}

/** The form fields the request's route reads, or undefined for a JSON route. */
function formFields(request: FastifyRequest): readonly string[] | undefined {
  return (request.routeOptions.config as Partial<FormRouteConfig> | undefined)?.form;
}

/**
 * A form body (`application/x-www-form-urlencoded`) as the flat object of the fields the route
 * reads. Flat by construction (URLSearchParams has no nesting), so there is no depth to check;
 * fields the route does not read are ignored (RFC 6749 §3.2: unrecognized parameters), a field
 * given twice is refused (RFC 6749 §3.1).
 */
export function parseForm(text: string, fields: readonly string[]): Record<string, string> {
  const params = new URLSearchParams(text);
  const body: Record<string, string> = {};
  for (const field of fields) {
    const values = params.getAll(field);
    if (values.length > 1) throw apiError(400, 'validation_failed', `${field} must be given once`);
    if (values.length === 1) body[field] = values[0];
  }
  return body;
}

/**
 * The body parsers, ours: `application/json` (any parameters) only, and for the few routes that
 * name their form fields (`@RouteConfig({ form: [...] })`: the OAuth endpoints, whose RFCs
 * prescribe forms) `application/x-www-form-urlencoded` only. Every other pairing — a form to a
 * JSON route, JSON to a form route, text/plain, multipart, or a body without a type — is 415
 * before anything is parsed, validated or stored: no form a web page can post cross-origin
 * without a preflight reaches a JSON route, and no form-decoded body turns a password into a
 * property name that validation would quote. Nest's own parsers (JSON and form-encoded) are off
 * (`bodyParser: false`). JSON is parsed by Fastify's parser (prototype poisoning refused), after
 * the depth check; an empty body is no body. Both share the body limit.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      if (formFields(request))
        return done(apiError(415, 'unsupported_media_type', 'Content-Type must be application/x-www-form-urlencoded'));
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      if (jsonDepthExceeds(text, MAX_BODY_DEPTH))
        return done(apiError(400, 'validation_failed', `Body is nested deeper than ${MAX_BODY_DEPTH} levels`));
      void parse(request, text, done);
    },
  );
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const fields = formFields(request);
      if (!fields) return done(apiError(415, 'unsupported_media_type', 'Content-Type must be application/json'));
      try {
        done(null, parseForm(typeof body === 'string' ? body : body.toString('utf8'), fields));
      } catch (e) {
        done(e as Error);
      }
    },
  );
}
