import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, type JWK, SignJWT, type CryptoKey } from 'jose';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildResourceServer, SET_PATH } from '../examples/resource-server/src/server.js';
import { SESSION_REVOKED } from '../examples/resource-server/src/set-receiver.js';
import { RefreshRotation } from '../src/sessions/refresh-rotation.js';
import { SessionsService } from '../src/sessions/sessions.service.js';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, type TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { freePort } from './utils/redis-server.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'device-sessions';

/** An issuer of our shape (ES256 access tokens with typ at+jwt, SETs with typ secevent+jwt) and its JWKS. */
async function fakeIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const jwks: Server = createServer((_, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (
    claims: Record<string, unknown>,
    header: Record<string, unknown>,
    key: CryptoKey = privateKey,
  ): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header }).sign(key);
  return {
    url,
    otherKey: other.privateKey,
    close: () => new Promise<void>((r) => jwks.close(() => r())),
    accessToken: (sid: string, over: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
      sign(
        {
          sub: randomUUID(),
          sid,
          iss: ISSUER,
          aud: AUDIENCE,
          iat: now(),
          exp: now() + 900,
          jti: randomUUID(),
          ...over,
        },
        { typ: 'at+jwt', ...header },
      ),
    set: (
      aud: string,
      sid: string,
      over: Record<string, unknown> = {},
      header: Record<string, unknown> = {},
      key?: CryptoKey,
    ) =>
      sign(
        {
          iss: ISSUER,
          iat: now(),
          jti: randomUUID(),
          aud,
          sub_id: {
            format: 'complex',
            user: { format: 'opaque', id: randomUUID() },
            session: { format: 'opaque', id: sid },
          },
          events: {
            [SESSION_REVOKED]: {
              event_timestamp: now(),
              initiating_entity: 'user',
              reason_admin: { en: 'remote_logout' },
            },
          },
          ...over,
        },
        { typ: 'secevent+jwt', ...header },
        key,
      ),
  };
}

describe('examples/resource-server against an issuer of our shape', () => {
  let issuer: Awaited<ReturnType<typeof fakeIssuer>>;
  let rs: FastifyInstance;
  let stateless: FastifyInstance;
  const receiverUrl = 'https://orders.example/security-events';
  beforeAll(async () => {
    issuer = await fakeIssuer();
    const base = { issuer: ISSUER, audience: AUDIENCE, jwksUrl: issuer.url, receiverUrl };
    rs = await buildResourceServer({ ...base, mode: 'local' });
    stateless = await buildResourceServer({ ...base, mode: 'jwks' });
  });
  afterAll(async () => {
    await Promise.all([rs.close(), stateless.close()]);
    await issuer.close();
  });

  const orders = (app: FastifyInstance, token: string) =>
    app.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: `Bearer ${token}` } });
  const push = (app: FastifyInstance, set: string, type = 'application/secevent+jwt') =>
    app.inject({ method: 'POST', url: SET_PATH, headers: { 'content-type': type }, payload: set });

  it('accepts a token of the JWKS, and refuses wrong typ, algorithm, key, issuer, audience or expiry', async () => {
    const sid = randomUUID();
    expect((await orders(rs, await issuer.accessToken(sid))).json()).toMatchObject({ sessionId: sid });
    const now = Math.floor(Date.now() / 1000);
    for (const token of [
      await issuer.accessToken(sid, {}, { typ: 'JWT' }),
      await issuer.accessToken(sid, {}, { kid: 'unknown' }),
      await issuer.accessToken(sid, { iss: 'https://evil.example' }),
      await issuer.accessToken(sid, { aud: 'someone-else' }),
      await issuer.accessToken(sid, { exp: now - 1 }),
      await new SignJWT({ sid, sub: 'u', iss: ISSUER, aud: AUDIENCE, exp: now + 60 })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
        .sign(new TextEncoder().encode('a shared secret that nobody should accept here')),
      'garbage',
    ]) {
      const res = await orders(rs, token);
      expect([res.statusCode, res.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    }
  });

  it('drops a session named by a verified session-revoked SET: its tokens are refused (the stateless mode keeps them)', async () => {
    const sid = randomUUID();
    const token = await issuer.accessToken(sid);
    const set = await issuer.set(receiverUrl, sid.toUpperCase());
    expect((await push(rs, set)).statusCode).toBe(202);
    const refused = await orders(rs, token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('session_ended');
    expect((await orders(rs, await issuer.accessToken(randomUUID()))).statusCode).toBe(200);
    // At least once: the same SET again is acknowledged and changes nothing.
    expect((await push(rs, set)).statusCode).toBe(202);
    expect((await push(stateless, set)).statusCode).toBe(202);
    expect((await orders(stateless, token)).statusCode).toBe(200);
  });

  it('refuses a SET with a bad signature, another audience, issuer or typ, or the wrong media type, and keeps the session', async () => {
    const sid = randomUUID();
    const token = await issuer.accessToken(sid);
    const cases: [string, string, string?][] = [
      [await issuer.set(receiverUrl, sid, {}, {}, issuer.otherKey), 'invalid_key'],
      [await issuer.set('https://payments.example/security-events', sid), 'invalid_audience'],
      [await issuer.set(receiverUrl, sid, { iss: 'https://evil.example' }), 'invalid_issuer'],
      [await issuer.set(receiverUrl, sid, {}, { typ: 'JWT' }), 'invalid_request'],
      [await issuer.accessToken(sid, { aud: receiverUrl }), 'invalid_request'],
      [await issuer.set(receiverUrl, sid, { sub_id: { format: 'opaque', id: sid } }), 'invalid_request'],
      ['not.a.jwt', 'invalid_request'],
    ];
    for (const [set, err] of cases) {
      const res = await push(rs, set);
      expect([res.statusCode, res.json().err]).toEqual([400, err]);
    }
    const set = await issuer.set(receiverUrl, sid);
    expect((await push(rs, set, 'application/json')).statusCode).toBe(415);
    expect((await push(rs, set, 'text/plain')).statusCode).toBe(415);
    expect((await orders(rs, token)).statusCode).toBe(200);
  });
});

describe.each(testDatabases)('examples/resource-server in exact mode against device-sessions (%s)', (db) => {
  const client = { id: 'orders-service', secret: 'orders-service-secret-0123456789abcdef' };
  let t: TestApp;
  let rs: FastifyInstance;
  beforeAll(async () => {
    t = await createTestApp(db, { INTROSPECTION_CLIENTS: `${client.id}:${client.secret}` });
    await t.app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    rs = await buildResourceServer({
      issuer: t.config.auth.issuer,
      audience: t.config.auth.audience,
      jwksUrl: `${base}/.well-known/jwks.json`,
      receiverUrl: 'http://127.0.0.1:1/security-events',
      mode: 'exact',
      introspection: { url: `${base}/v1/oauth/introspect`, clientId: client.id, clientSecret: client.secret },
    });
  });
  afterAll(async () => {
    await rs?.close();
    await t?.close();
  });

  it('a remote logout here is refused there on the very next request', async () => {
    const user = await registerUser(t.http);
    const [phone, laptop] = [await login(t.http, user), await login(t.http, user)];
    const get = (path: string) => rs.inject({ method: 'GET', url: path, headers: { authorization: bearer(phone) } });
    expect((await get('/v1/orders')).json()).toMatchObject({ userId: user.id, sessionId: phone.sessionId });
    expect((await get('/v1/payouts')).statusCode).toBe(200);
    await t.http.delete(`/v1/sessions/${phone.sessionId}`).set('Authorization', bearer(laptop)).expect(204);
    for (const path of ['/v1/orders', '/v1/payouts']) {
      const res = await get(path);
      expect([res.statusCode, res.json().code]).toEqual([401, 'token_inactive']);
    }
  });

  it('answers 503, never a pass, when the issuer cannot be asked', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const wrong = await buildResourceServer({
      issuer: t.config.auth.issuer,
      audience: t.config.auth.audience,
      jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json',
      receiverUrl: 'http://127.0.0.1:1/security-events',
      mode: 'exact',
      introspection: {
        url: 'http://127.0.0.1:1/v1/oauth/introspect',
        clientId: client.id,
        clientSecret: client.secret,
      },
    });
    try {
      const res = await wrong.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: bearer(pair) } });
      expect([res.statusCode, res.headers['retry-after']]).toEqual([503, '5']);
    } finally {
      await wrong.close();
    }
  });
});

describe.each(testDatabases)('examples/resource-server with SET push from device-sessions (%s)', (db) => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let rs: FastifyInstance;
  let rsUrl: string;
  beforeAll(async () => {
    const appPort = await freePort();
    const base = `http://127.0.0.1:${appPort}`;
    const rsPort = await freePort();
    const receiverUrl = `http://127.0.0.1:${rsPort}${SET_PATH}`;
    rs = await buildResourceServer({
      issuer: 'device-sessions',
      audience: 'device-sessions',
      jwksUrl: `${base}/.well-known/jwks.json`,
      receiverUrl,
      mode: 'local',
    });
    await rs.listen({ port: rsPort, host: '127.0.0.1' });
    rsUrl = `http://127.0.0.1:${rsPort}`;
    t = await createTestApp(db, { SET_RECEIVERS: receiverUrl, WEBHOOK_RETRY_DELAY_MS: '50' });
    await t.app.listen(appPort, '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
    await rs?.close();
  });

  const orders = (token: string) => fetch(`${rsUrl}/v1/orders`, { headers: { authorization: `Bearer ${token}` } });

  it('a logout here is refused there once the push arrived: the delay over 100 revocations', async () => {
    const user = await registerUser(t.http);
    const delays: number[] = [];
    for (let i = 0; i < 100; i++) {
      // A fresh account's credential version is 0 (no password change yet).
      const created = await t.get(SessionsService).create(user.id, 0, {});
      const pair = t.get(RefreshRotation).pair(created!);
      expect((await orders(pair.accessToken)).status).toBe(200);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair.accessToken)).expect(204);
      const returned = performance.now();
      let status = 200;
      while (status === 200 && performance.now() - returned < 10_000) status = (await orders(pair.accessToken)).status;
      expect(status).toBe(401);
      delays.push(performance.now() - returned);
    }
    delays.sort((x, y) => x - y);
    const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((delays.length * p) / 100))].toFixed(1);
    console.log(
      `[${db}] revoke returned → first refusal at the resource server (SET push), 100 revocations: p50 ${pct(50)} ms, p99 ${pct(99)} ms`,
    );
  });
});
