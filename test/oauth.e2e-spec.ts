import { Redis } from 'ioredis';
import { AccessTokenSigner } from '../src/sessions/access-token-signer.js';
import { bearer, login, registerUser, type TokenPair } from './factories/users.js';
import { countStatuses, releaseTogether } from './utils/barrier.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, type TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429 } from './utils/rate-limit.js';

const RS = { id: 'resource-server', secret: 'rs-secret-0123456789-abcdefghijklmnop' };
const BFF = { id: 'bff', secret: 'bff+secret/with%chars=0123456789abcdefgh' };
const CLIENTS = { INTROSPECTION_CLIENTS: `${RS.id}:${RS.secret}, ${BFF.id}:${BFF.secret}` };
const INACTIVE = { active: false };

type Client = { id: string; secret: string };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function introspect(t: TestApp, token: string, client: Client = RS, extra: Record<string, string> = {}) {
  return t.http
    .post('/v1/oauth/introspect')
    .auth(client.id, client.secret)
    .type('form')
    .send(form({ token, ...extra }));
}

function revoke(t: TestApp, token: string, client: Client = BFF, extra: Record<string, string> = {}) {
  return t.http
    .post('/v1/oauth/revoke')
    .auth(client.id, client.secret)
    .type('form')
    .send(form({ token, ...extra }));
}

/** The session as its owner sees it, through another live session of theirs. */
async function shown(t: TestApp, viewer: TokenPair, sessionId: string) {
  const res = await t.http.get(`/v1/sessions/${sessionId}`).set('Authorization', bearer(viewer)).expect(200);
  return { status: res.body.status, endReason: res.body.endReason };
}

describe.each(testDatabases)('OAuth introspection and revocation (%s)', (db) => {
  let t: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    t = await createTestApp(db, { ...CLIENTS, LOG_LEVEL: 'debug' }, { logDestination: logs.stream });
  });
  afterAll(() => t.close());

  describe('client authentication', () => {
    it.each([
      ['no Authorization', undefined],
      ['a wrong secret', `Basic ${Buffer.from(`${RS.id}:${RS.secret}x`).toString('base64')}`],
      ['another client’s secret', `Basic ${Buffer.from(`${RS.id}:${BFF.secret}`).toString('base64')}`],
      ['an unknown client', `Basic ${Buffer.from(`nobody:${RS.secret}`).toString('base64')}`],
      ['a secret’s prefix', `Basic ${Buffer.from(`${RS.id}:${RS.secret.slice(0, 31)}`).toString('base64')}`],
      ['no colon', `Basic ${Buffer.from(`${RS.id}${RS.secret}`).toString('base64')}`],
      ['not base64', 'Basic !!!'],
      ['a bearer token', 'Bearer abc.def.ghi'],
    ])('refuses %s with 401 and a Basic challenge, on both endpoints', async (_, authorization) => {
      for (const path of ['/v1/oauth/introspect', '/v1/oauth/revoke']) {
        const req = t.http.post(path).type('form');
        if (authorization) req.set('Authorization', authorization);
        const res = await req.send(form({ token: 'x' }));
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
        expect(res.body).toMatchObject({ statusCode: 401, code: 'invalid_client' });
      }
    });

    it('takes the scheme in any case, and form-encoded credentials (RFC 6749 §2.3.1)', async () => {
      const encoded = `${encodeURIComponent(BFF.id)}:${encodeURIComponent(BFF.secret)}`;
      for (const authorization of [
        `basic ${Buffer.from(`${RS.id}:${RS.secret}`).toString('base64')}`,
        `Basic ${Buffer.from(encoded).toString('base64')}`,
        `Basic ${Buffer.from(`${BFF.id}:${BFF.secret}`).toString('base64')}`,
      ]) {
        const res = await t.http
          .post('/v1/oauth/introspect')
          .set('Authorization', authorization)
          .type('form')
          .send('token=x');
        expect(res.status).toBe(200);
        expect(res.body).toEqual(INACTIVE);
      }
    });
  });

  describe('bodies', () => {
    it('takes forms only: JSON, text and multipart are 415, and a form to a JSON route too', async () => {
      const json = await t.http.post('/v1/oauth/introspect').auth(RS.id, RS.secret).send({ token: 'x' });
      expect(json.status).toBe(415);
      expect(json.body.code).toBe('unsupported_media_type');
      const text = await t.http
        .post('/v1/oauth/revoke')
        .auth(BFF.id, BFF.secret)
        .set('Content-Type', 'text/plain')
        .send('token=x');
      expect(text.status).toBe(415);
      const login = await t.http.post('/v1/auth/login').type('form').send('email=a@example.com&password=12345678');
      expect(login.status).toBe(415);
      expect(login.body.code).toBe('unsupported_media_type');
    });

    it('refuses a missing, repeated or non-text token with 400, ignores unknown fields', async () => {
      expect((await t.http.post('/v1/oauth/introspect').auth(RS.id, RS.secret).type('form').send('')).status).toBe(400);
      const twice = await t.http
        .post('/v1/oauth/introspect')
        .auth(RS.id, RS.secret)
        .type('form')
        .send('token=a&token=b');
      expect(twice.status).toBe(400);
      expect(twice.body.code).toBe('validation_failed');
      const extra = await introspect(t, 'x', RS, { client_id: RS.id, 'token[a]': 'b', __proto__: 'c' });
      expect(extra.status).toBe(200);
      expect(extra.body).toEqual(INACTIVE);
    });

    it('refuses a body over BODY_LIMIT with 413', async () => {
      const res = await introspect(t, 'a'.repeat(20_000));
      expect(res.status).toBe(413);
    });
  });

  describe('introspection', () => {
    let user: Awaited<ReturnType<typeof registerUser>>;
    let pair: TokenPair;
    beforeAll(async () => {
      user = await registerUser(t.http);
      pair = await login(t.http, user);
    });

    it('describes a live access token, uncached and then cached, with Cache-Control: no-store', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await introspect(t, pair.accessToken, RS, { token_type_hint: 'access_token' }).expect(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).toEqual({
          active: true,
          token_type: 'access_token',
          sub: user.id,
          sid: pair.sessionId,
          exp: expect.any(Number),
          iat: expect.any(Number),
          iss: t.config.auth.issuer,
          aud: t.config.auth.audience,
          jti: expect.any(String),
        });
        expect(res.body.exp - res.body.iat).toBe(t.config.auth.accessTokenTtl);
      }
    });

    it('describes the current refresh token, whatever the hint says', async () => {
      const res = await introspect(t, pair.refreshToken, RS, { token_type_hint: 'access_token' }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const [row] = await t.dataSource.query('SELECT expires_at AS e FROM sessions WHERE id = ?', [pair.sessionId]);
      expect(res.body).toEqual({
        active: true,
        token_type: 'refresh_token',
        sub: user.id,
        sid: pair.sessionId,
        exp: Math.floor(Number(row.e) / 1000),
      });
    });

    it('answers only {active: false} for garbage, a bad signature, another user’s claim and a rotated-away refresh token', async () => {
      const [h, p, s] = pair.accessToken.split('.');
      const flipped = `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
      const other = await registerUser(t.http);
      const signer = t.get(AccessTokenSigner);
      const now = Math.floor(t.clock.now() / 1000);
      const claims = { sid: pair.sessionId, jti: 'x', iat: now, exp: now + 60, iss: t.config.auth.issuer };
      const asOther = signer.sign({ ...claims, sub: other.id, aud: t.config.auth.audience });
      const wrongAudience = signer.sign({ ...claims, sub: user.id, aud: 'someone-else' });
      const upper = pair.refreshToken.replace(/^[0-9a-f-]+/, (id) => id.toUpperCase());
      const fresh = await login(t.http, user);
      const rotated = await t.http.post('/v1/auth/refresh').send({ refreshToken: fresh.refreshToken }).expect(200);
      for (const token of [
        'garbage',
        'a.b.c',
        flipped,
        `${h}.${p}.`,
        asOther,
        wrongAudience,
        upper,
        // (Not the last character: its low bits carry no data.)
        pair.refreshToken.replace(
          /\.(.)([^.]{42})$/,
          (_, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`,
        ),
        fresh.refreshToken, // rotated away, within the reuse grace
        pair.accessToken + pair.accessToken,
      ]) {
        const res = await introspect(t, token).expect(200);
        expect(res.body).toEqual(INACTIVE);
      }
      // Introspecting the old refresh token was not a reuse: the session lives on.
      expect((await introspect(t, rotated.body.refreshToken)).body).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        sid: fresh.sessionId,
      });
      await t.http.get('/v1/auth/me').set('Authorization', bearer(rotated.body.accessToken)).expect(200);
    });

    it('answers {active: false} once the access token expires, and once the session is idle too long', async () => {
      const p2 = await login(t.http, user);
      await introspect(t, p2.accessToken).expect(200);
      t.clock.advance(t.config.auth.accessTokenTtl * 1000);
      expect((await introspect(t, p2.accessToken)).body).toEqual(INACTIVE);
      expect((await introspect(t, p2.refreshToken)).body).toMatchObject({ active: true });
      t.clock.advance(t.config.session.idleTtl * 1000);
      expect((await introspect(t, p2.refreshToken)).body).toEqual(INACTIVE);
    });

    it('answers {active: false} for both tokens of an ended session', async () => {
      const p3 = await login(t.http, user);
      await introspect(t, p3.accessToken).expect(200);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(p3)).expect(204);
      expect((await introspect(t, p3.accessToken)).body).toEqual(INACTIVE);
      expect((await introspect(t, p3.refreshToken)).body).toEqual(INACTIVE);
    });
  });

  describe('revocation', () => {
    it('ends the session of an access token (client_revoke, revoked); it then introspects inactive', async () => {
      const user = await registerUser(t.http);
      const [victim, viewer] = [await login(t.http, user), await login(t.http, user)];
      await t.http.get('/v1/auth/me').set('Authorization', bearer(victim)).expect(200);
      const res = await revoke(t, victim.accessToken).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(await shown(t, viewer, victim.sessionId)).toEqual({ status: 'revoked', endReason: 'client_revoke' });
      const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(victim));
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('session_ended');
      expect((await introspect(t, victim.accessToken)).body).toEqual(INACTIVE);
      expect((await introspect(t, victim.refreshToken)).body).toEqual(INACTIVE);
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: victim.refreshToken })).status).toBe(401);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(viewer)).expect(200);
    });

    it('ends the session of a refresh token', async () => {
      const user = await registerUser(t.http);
      const [victim, viewer] = [await login(t.http, user), await login(t.http, user)];
      await revoke(t, victim.refreshToken, BFF, { token_type_hint: 'refresh_token' }).expect(200);
      expect(await shown(t, viewer, victim.sessionId)).toEqual({ status: 'revoked', endReason: 'client_revoke' });
      expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(victim))).status).toBe(401);
      expect((await introspect(t, victim.accessToken)).body).toEqual(INACTIVE);
    });

    it('answers 200 for unknown, garbage and already-ended tokens, and changes nothing', async () => {
      const user = await registerUser(t.http);
      const [ended, viewer] = [await login(t.http, user), await login(t.http, user)];
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(ended)).expect(204);
      for (const token of ['garbage', ended.accessToken, ended.refreshToken, `${viewer.accessToken}x`])
        await revoke(t, token).expect(200);
      expect(await shown(t, viewer, ended.sessionId)).toEqual({ status: 'logged_out', endReason: 'logout' });
      await t.http.get('/v1/auth/me').set('Authorization', bearer(viewer)).expect(200);
    });
  });

  it('never writes a token or a client secret to its log', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    await introspect(t, pair.accessToken).expect(200);
    await introspect(t, pair.refreshToken).expect(200);
    await t.http
      .post('/v1/oauth/introspect')
      .auth(RS.id, 'wrong-secret-wrong-secret-wrong-secret')
      .type('form')
      .send(form({ token: pair.accessToken }));
    await t.http.post('/v1/oauth/introspect').auth(RS.id, RS.secret).send({ token: pair.accessToken });
    await revoke(t, pair.refreshToken).expect(200);
    const text = logs.text();
    expect(text).toContain('/v1/oauth/introspect');
    for (const secret of [
      pair.accessToken,
      pair.accessToken.split('.')[2],
      pair.refreshToken,
      pair.refreshToken.split('.')[2],
      RS.secret,
      BFF.secret,
      'wrong-secret',
      Buffer.from(`${RS.id}:${RS.secret}`).toString('base64'),
    ])
      expect(text).not.toContain(secret);
  });
});

describe.each(testDatabases)('OAuth endpoints, configured off or limited (%s)', (db) => {
  it('are 404 without INTROSPECTION_CLIENTS', async () => {
    const t = await createTestApp(db);
    try {
      for (const path of ['/v1/oauth/introspect', '/v1/oauth/revoke']) {
        const res = await t.http.post(path).auth(RS.id, RS.secret).type('form').send('token=x');
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('not_found');
      }
    } finally {
      await t.close();
    }
  });

  it('limits each client to INTROSPECTION_RATE_LIMIT a minute, counted exactly under a burst', async () => {
    const t = await createTestApp(db, { ...CLIENTS, INTROSPECTION_RATE_LIMIT: '5' });
    try {
      await t.app.listen(0, '127.0.0.1');
      const port = (t.app.getHttpServer().address() as { port: number }).port;
      const basic = (c: Client) => ({
        Authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`,
      });
      const answers = await releaseTogether(
        port,
        Array.from({ length: 12 }, () => ({
          method: 'POST',
          path: '/v1/oauth/introspect',
          headers: basic(RS),
          form: 'token=x',
        })),
      );
      expect(countStatuses(answers)).toEqual({ 200: 5, 429: 7 });
      expect429(await introspect(t, 'x'));
      // Another client has its own count; revocation is not counted.
      await introspect(t, 'x', BFF).expect(200);
      await revoke(t, 'x', RS).expect(200);
    } finally {
      await t.close();
    }
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
(testDatabases.includes('mysql') && redisUrl ? describe : describe.skip)(
  'OAuth endpoints on two instances with MariaDB and the Redis cache',
  () => {
    let a: TestApp;
    let b: TestApp;
    const dropCounters = async () => {
      const redis = new Redis(redisUrl!);
      const keys = await redis.keys('ds:throttle:introspection:*');
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    };
    beforeAll(async () => {
      await dropCounters();
      a = await createTestApp('mysql', { ...CLIENTS, REDIS_URL: redisUrl!, INTROSPECTION_RATE_LIMIT: '1000' });
      b = await createTestApp(
        'mysql',
        { ...CLIENTS, REDIS_URL: redisUrl!, INTROSPECTION_RATE_LIMIT: '1000' },
        { keepData: true },
      );
    });
    afterAll(async () => {
      await Promise.all([a.close(), b.close()]);
      await dropCounters();
    });

    it('a revocation through one instance makes the other’s cached live token inactive at once', async () => {
      const user = await registerUser(a.http);
      const pair = await login(a.http, user);
      for (let i = 0; i < 3; i++) expect((await introspect(b, pair.accessToken)).body).toMatchObject({ active: true });
      await revoke(a, pair.accessToken).expect(200);
      expect((await introspect(b, pair.accessToken)).body).toEqual(INACTIVE);
      expect((await b.http.get('/v1/auth/me').set('Authorization', bearer(pair))).status).toBe(401);
    });

    it('counts a client’s rate limit across instances', async () => {
      const limited = { ...CLIENTS, REDIS_URL: redisUrl!, INTROSPECTION_RATE_LIMIT: '3' };
      const [c, d] = [
        await createTestApp('mysql', limited, { keepData: true }),
        await createTestApp('mysql', limited, { keepData: true }),
      ];
      try {
        const client = { id: 'bff', secret: BFF.secret };
        for (const app of [c, d, c]) await introspect(app, 'x', client).expect(200);
        expect429(await introspect(d, 'x', client));
      } finally {
        await Promise.all([c.close(), d.close()]);
      }
    });
  },
);
