import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's security headers (CSP, HSTS, nosniff, frame and referrer policies, …), built once.
 * @fastify/helmet calls `helmet(options)` again on every request, which halved throughput on
 * every route in `npm run bench`; the middleware helmet returns precomputes its header values,
 * so one instance serves all requests.
 */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  const apply = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:'],
        scriptSrc: [`'self'`],
        // Helmet's default would make browsers fetch /docs and /account/devices assets over https
        // even when the service is reached over plain http on a non-local host (compose, LAN),
        // leaving both pages blank. Our pages only use relative URLs, so it protects nothing.
        upgradeInsecureRequests: null,
      },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    apply(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
}
