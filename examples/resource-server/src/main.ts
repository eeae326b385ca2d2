import { buildResourceServer } from './server.js';

const env = process.env;
const base = (env.DS_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const port = Number(env.PORT ?? 4000);
const mode = (env.VERIFY_MODE ?? 'local') as 'local' | 'jwks' | 'exact';

const app = await buildResourceServer({
  issuer: env.DS_ISSUER ?? 'device-sessions',
  audience: env.DS_AUDIENCE ?? 'device-sessions',
  jwksUrl: `${base}/.well-known/jwks.json`,
  receiverUrl: (env.RECEIVER_URL ?? `http://127.0.0.1:${port}/security-events`).replace(/\/+$/, ''),
  mode,
  introspection:
    env.INTROSPECTION_CLIENT_ID && env.INTROSPECTION_CLIENT_SECRET
      ? {
          url: `${base}/v1/oauth/introspect`,
          clientId: env.INTROSPECTION_CLIENT_ID,
          clientSecret: env.INTROSPECTION_CLIENT_SECRET,
          cacheMs: Number(env.INTROSPECTION_CACHE_MS ?? 0),
        }
      : undefined,
  logger: true,
});
await app.listen({ port, host: env.HOST ?? '127.0.0.1' });
