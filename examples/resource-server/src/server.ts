import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRemoteJWKSet } from 'jose';
import { EndedSessions } from './ended-sessions.js';
import { SetReceiver } from './set-receiver.js';
import {
  type Caller,
  type IntrospectionConfig,
  IntrospectionVerifier,
  type IssuerConfig,
  LocalVerifier,
  Refusal,
} from './verifier.js';

export interface ResourceServerConfig extends IssuerConfig {
  /** The URL SETs are pushed to, exactly as device-sessions' SET_RECEIVERS lists it: the SETs' `aud`. */
  receiverUrl: string;
  /** How the ordinary routes verify: `local` (JWKS + pushed SETs), `jwks` (JWKS alone: stateless), `exact` (introspection). */
  mode: 'local' | 'jwks' | 'exact';
  /** For `exact`, and for the routes that always ask (GET /v1/payouts). */
  introspection?: IntrospectionConfig;
  /** How long an ended session is remembered: at least the issuer's ACCESS_TOKEN_TTL (default one day). */
  forgetEndedAfterMs?: number;
  logger?: boolean;
}

const BEARER = /^bearer +(\S+)$/i;

/** The path SETs are pushed to (its full URL is the receiver's SET_RECEIVERS entry). */
export const SET_PATH = '/security-events';

/**
 * Another team's service that accepts device-sessions access tokens. GET /v1/orders verifies as
 * `mode` says; GET /v1/payouts always asks the issuer (introspection), as a service would for
 * its sensitive actions; POST /security-events receives the SET pushes.
 */
export async function buildResourceServer(config: ResourceServerConfig): Promise<FastifyInstance> {
  const app = Fastify({ logger: config.logger ?? false });
  const keys = createRemoteJWKSet(new URL(config.jwksUrl));
  const ended = new EndedSessions(config.forgetEndedAfterMs ?? 86_400_000);
  const receiver = new SetReceiver(keys, config, ended);
  const local = new LocalVerifier(keys, config, config.mode === 'jwks' ? null : ended);
  const exact = config.introspection ? new IntrospectionVerifier(config.introspection) : null;
  if (config.mode === 'exact' && !exact) throw new Error('mode exact needs introspection settings');
  const ordinary = config.mode === 'exact' ? exact! : local;

  const authenticate = async (
    verifier: { verify(t: string): Promise<Caller> },
    req: FastifyRequest,
    reply: FastifyReply,
  ) => {
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    try {
      if (!token) throw new Refusal(401, 'token_missing', 'Missing bearer token');
      return await verifier.verify(token);
    } catch (e) {
      const r = e instanceof Refusal ? e : new Refusal(503, 'issuer_unavailable', 'Cannot verify the token now');
      if (r.status === 401) reply.header('WWW-Authenticate', 'Bearer');
      else reply.header('Retry-After', '5');
      void reply.code(r.status).send({ statusCode: r.status, code: r.code, message: r.message });
      return null;
    }
  };

  app.get('/health', async () => ({ status: 'ok', endedSessions: ended.size }));

  app.get('/v1/orders', async (req, reply) => {
    const caller = await authenticate(ordinary, req, reply);
    return caller && { userId: caller.userId, sessionId: caller.sessionId, orders: [] };
  });

  app.get('/v1/payouts', async (req, reply) => {
    if (!exact) return reply.code(404).send({ statusCode: 404, code: 'not_found', message: 'Not found' });
    const caller = await authenticate(exact, req, reply);
    return caller && { userId: caller.userId, payouts: [] };
  });

  // RFC 8935: the body is the compact SET itself, and nothing else is taken (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/secevent+jwt', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) =>
    done(null, body),
  );
  app.post(SET_PATH, async (req, reply) => {
    if (typeof req.body !== 'string')
      return reply.code(400).send({ err: 'invalid_request', description: 'Expected application/secevent+jwt' });
    const outcome = await receiver.receive(req.body.trim());
    if (outcome.status === 400) return reply.code(400).send({ err: outcome.err, description: outcome.description });
    req.log.info(
      { events: outcome.events, sessionId: outcome.sessionId, duplicate: outcome.duplicate },
      'SET received',
    );
    return reply.code(202).send();
  });

  return app;
}
