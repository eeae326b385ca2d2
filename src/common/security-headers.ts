import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Helmet's set for the HTML pages (Swagger UI at /docs, the devices page at /account/): CSP with
 * `script-src 'self'`, HSTS, nosniff, frame, referrer and cross-origin policies. With static options
 * helmet's middleware sets the same values on every response, so it runs once, against a recording
 * response, and the recorded headers are reused.
 */
export function pageHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:'],
        scriptSrc: [`'self'`],
        // Neither page has a <base> element; 'none' stops an injected one from re-pointing relative URLs.
        baseUri: [`'none'`],
        // Helmet's default would make browsers fetch /docs and /account/devices assets over https
        // even when the service is reached over plain http on a non-local host (compose, LAN),
        // leaving both pages blank. Our pages only use relative URLs, so it protects nothing.
        upgradeInsecureRequests: null,
      },
    },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, (e?: unknown) => void (failure = e));
  if (failure) throw failure instanceof Error ? failure : new Error('helmet failed', { cause: failure });
  return headers;
}

/**
 * The API's JSON answers (every route but the two pages): the header set of OWASP's REST Security
 * Cheat Sheet, plus a referrer policy. `no-store` because every answer here is about one user's
 * account or sessions; a CSP that allows nothing and no framing, because JSON is never a page.
 * HSTS, nosniff and the referrer policy are helmet's values, as on the pages.
 */
export function apiHeaders(pages: Record<string, string>): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'strict-transport-security': pages['strict-transport-security'],
    'x-content-type-options': pages['x-content-type-options'],
    'x-frame-options': 'DENY',
    'referrer-policy': pages['referrer-policy'],
  };
}

/** Swagger UI (/docs and its assets) and the devices page (/account/…); /docs-json and the rest answer JSON. */
const PAGE = /^\/(?:docs(?:[/?]|$)|account\/)/;
export const isPage = (url: string): boolean => PAGE.test(url);

/**
 * Every response gets its security headers and echoes its request id (X-Request-Id), in one sync
 * hook. The API set is 6 short headers where helmet's is 12 with a long CSP: sending helmet's on
 * every JSON answer cost ~15 % of our `/v1/auth/me` throughput (server CPU per request, measured).
 */
export function registerResponseHeaders(fastify: FastifyInstance): void {
  const pages = pageHeaders();
  const api = apiHeaders(pages);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(isPage(request.url) ? pages : api);
    reply.header('x-request-id', request.id);
    done();
  });
}

/**
 * CORS for CORS_ORIGINS (SPEC "Browser apps"): credentials allowed (the refresh cookie), and a
 * preflight lists every method and request header the API uses rather than echoing what was
 * asked, so a page learns what the API takes and nothing more. @fastify/cors's default listed
 * only GET, HEAD and POST, which left browsers unable to call DELETE or PATCH. Another origin
 * gets no CORS header at all: with a plain list, @fastify/cors still sent it
 * `Access-Control-Allow-Credentials`.
 */
export function corsPolicy(origins: string[]) {
  const allowed = new Set(origins);
  return {
    origin: (origin: string | undefined, done: (err: Error | null, allow: string | false) => void) =>
      done(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-csrf-protection', 'x-request-id'],
    credentials: true,
  };
}
