import { bearer, login, registerUser, UA } from './factories/users.js';
import { SessionsRepository } from '../src/sessions/sessions.repository.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { flushTouches, storedLastActive } from './utils/sessions.js';

describe.each(testDatabases)('core API on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, { ADMIN_EMAILS: 'boss@example.com' });
  });
  afterAll(() => t.close());

  describe('register', () => {
    it('creates a user and never returns a password hash', async () => {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: '  Grace@Example.COM ', password: 'correct horse battery staple', name: 'Grace' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        email: 'grace@example.com',
        name: 'Grace',
        emailVerified: false,
        roles: ['user'],
        createdAt: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/argon|hash|password/i);
    });

    it('answers 409 for an email taken in another case', async () => {
      await registerUser(t.http, { email: 'taken@example.com' });
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: 'TAKEN@example.com', password: 'another good password' })
        .expect(409);
      expect(res.body).toEqual({
        statusCode: 409,
        code: 'email_taken',
        error: 'Conflict',
        message: 'Email is already registered',
      });
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: 'correct horse battery' }],
      ['a short password', { email: 'a@example.com', password: 'short' }],
      ['a 129-character password', { email: 'a@example.com', password: 'x'.repeat(129) }],
      ['a missing password', { email: 'a@example.com' }],
      ['a number as email', { email: 42, password: 'correct horse battery' }],
      ['an unknown property', { email: 'a@example.com', password: 'correct horse battery', admin: true }],
      ['an empty name', { email: 'a@example.com', password: 'correct horse battery', name: '' }],
    ])('answers 400 for %s and stores nothing', async (_, body) => {
      const res = await t.http.post('/v1/auth/register').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      const [{ n }] = await t.dataSource.query(`SELECT COUNT(*) AS n FROM users WHERE email = 'a@example.com'`);
      expect(Number(n)).toBe(0);
    });

    it('grants nothing for an ADMIN_EMAILS address that is not verified (registering it first gains nothing)', async () => {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: 'Boss@example.com', password: 'correct horse battery staple' })
        .expect(201);
      expect(res.body.roles).toEqual(['user']);
    });
  });

  describe('login', () => {
    it('returns a TokenPair, not cacheable', async () => {
      const user = await registerUser(t.http);
      const res = await t.http
        .post('/v1/auth/login')
        .send({ email: user.email.toUpperCase(), password: user.password })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        sessionId: expect.any(String),
      });
      const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({
        sub: user.id,
        sid: res.body.sessionId,
        iss: 'device-sessions',
        aud: 'device-sessions',
      });
      expect(claims.exp - claims.iat).toBe(900);
      expect(typeof claims.jti).toBe('string');
    });

    it('gives the same 401 for an unknown email and a wrong password', async () => {
      const user = await registerUser(t.http);
      const wrong = await t.http
        .post('/v1/auth/login')
        .send({ email: user.email, password: 'wrong password!' })
        .expect(401);
      const unknown = await t.http
        .post('/v1/auth/login')
        .send({ email: 'nobody@example.com', password: 'wrong password!' })
        .expect(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({
        statusCode: 401,
        code: 'invalid_credentials',
        error: 'Unauthorized',
        message: 'Invalid email or password',
      });
    });

    it('answers 400 for a malformed body and creates no session', async () => {
      await t.http.post('/v1/auth/login').set('Content-Type', 'application/json').send('{"email":').expect(400);
      await t.http.post('/v1/auth/login').send({ email: 'x@example.com' }).expect(400);
      await t.http.post('/v1/auth/login').send(['x']).expect(400);
      await t.http
        .post('/v1/auth/login')
        .send({ email: 'x@example.com', password: 'p', deviceName: 'x'.repeat(101) })
        .expect(400);
      const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions');
      const before = Number(n);
      await t.http.post('/v1/auth/login').send({ email: 'x@example.com', password: 'p', extra: 1 }).expect(400);
      const [{ n: after }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions');
      expect(Number(after)).toBe(before);
    });
  });

  describe('three devices', () => {
    it('lists each device and logs them out one, others, all — effective on the next request', async () => {
      const user = await registerUser(t.http);
      const mac = await login(t.http, user, { ua: UA.macChrome, ip: '203.0.113.10' });
      const phone = await login(t.http, user, { ua: UA.iphoneSafari, ip: '198.51.100.20' });
      const pc = await login(t.http, user, { ua: UA.windowsFirefox, ip: '192.0.2.30', deviceName: 'Gaming PC' });

      const list = await t.http.get('/v1/sessions').set('Authorization', bearer(mac)).expect(200);
      expect(list.body).toHaveLength(3);
      const byId = Object.fromEntries(list.body.map((s: { id: string }) => [s.id, s]));
      expect(byId[mac.sessionId]).toMatchObject({
        current: true,
        status: 'active',
        deviceName: 'Chrome on macOS',
        device: { type: 'desktop', vendor: 'Apple', model: 'Macintosh' },
        browser: { name: 'Chrome', version: '131.0.0.0' },
        os: { name: 'macOS', version: '10.15.7' },
        ipAddress: '203.0.113.10',
        endedAt: null,
        endReason: null,
      });
      expect(byId[phone.sessionId]).toMatchObject({
        current: false,
        deviceName: 'Mobile Safari on iPhone',
        device: { type: 'mobile', vendor: 'Apple', model: 'iPhone' },
        ipAddress: '198.51.100.20',
      });
      expect(byId[pc.sessionId]).toMatchObject({
        deviceName: 'Gaming PC',
        device: { type: 'desktop', vendor: null, model: null },
        browser: { name: 'Firefox' },
        os: { name: 'Windows' },
      });

      await t.http.delete(`/v1/sessions/${phone.sessionId}`).set('Authorization', bearer(mac)).expect(204);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(phone)).expect(401);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(mac)).expect(200);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(pc)).expect(200);

      const others = await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(mac)).expect(200);
      expect(others.body).toEqual({ revoked: 1 });
      await t.http.get('/v1/auth/me').set('Authorization', bearer(pc)).expect(401);
      const left = await t.http.get('/v1/sessions').set('Authorization', bearer(mac)).expect(200);
      expect(left.body.map((s: { id: string }) => s.id)).toEqual([mac.sessionId]);

      const all = await t.http.delete('/v1/sessions?scope=all').set('Authorization', bearer(mac)).expect(200);
      expect(all.body).toEqual({ revoked: 1 });
      await t.http.get('/v1/auth/me').set('Authorization', bearer(mac)).expect(401);

      // The three logins share one fake-clock instant, so compare by id rather than by created_at order.
      const rows = await t.dataSource.query(
        'SELECT id, token_deleted, logged_out, end_reason FROM sessions WHERE user_id = ?',
        [user.id],
      );
      expect(Object.fromEntries(rows.map((r: { id: string; end_reason: string }) => [r.id, r.end_reason]))).toEqual({
        [mac.sessionId]: 'logout_all',
        [phone.sessionId]: 'remote_logout',
        [pc.sessionId]: 'logout_all',
      });
      expect(
        rows.every(
          (r: { token_deleted: unknown; logged_out: unknown }) =>
            Number(r.token_deleted) === 1 && Number(r.logged_out) === 1,
        ),
      ).toBe(true);
    });
  });

  describe('sessions', () => {
    it('orders by newest activity and keeps ended sessions as history', async () => {
      const user = await registerUser(t.http);
      const first = await login(t.http, user);
      t.clock.advance(5_000);
      const second = await login(t.http, user, { ua: UA.iphoneSafari });
      t.clock.advance(5_000);
      const third = await login(t.http, user, { ua: UA.ipad });
      const list = await t.http.get('/v1/sessions').set('Authorization', bearer(first)).expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual([third.sessionId, second.sessionId, first.sessionId]);
      expect(list.body[0].device.type).toBe('tablet');

      await t.http.delete(`/v1/sessions/${second.sessionId}`).set('Authorization', bearer(first)).expect(204);
      const active = await t.http.get('/v1/sessions?status=active').set('Authorization', bearer(first)).expect(200);
      expect(active.body.map((s: { id: string }) => s.id)).toEqual([third.sessionId, first.sessionId]);
      const all = await t.http.get('/v1/sessions?status=all').set('Authorization', bearer(first)).expect(200);
      expect(all.body).toHaveLength(3);
      const ended = await t.http
        .get(`/v1/sessions/${second.sessionId}`)
        .set('Authorization', bearer(first))
        .expect(200);
      expect(ended.body).toMatchObject({
        status: 'logged_out',
        endReason: 'remote_logout',
        endedAt: expect.any(String),
        current: false,
      });
    });

    it('repeating a revoke is 204 and changes nothing', async () => {
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const b = await login(t.http, user);
      await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(204);
      const once = await t.http.get(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(200);
      t.clock.advance(1_000);
      await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(204);
      const twice = await t.http.get(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(200);
      expect(twice.body.endedAt).toBe(once.body.endedAt);
      const count = await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(a)).expect(200);
      expect(count.body).toEqual({ revoked: 0 });
    });

    it('revoking the current session is a logout', async () => {
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const b = await login(t.http, user);
      await t.http.delete(`/v1/sessions/${a.sessionId}`).set('Authorization', bearer(a)).expect(204);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(401);
      const res = await t.http.get(`/v1/sessions/${a.sessionId}`).set('Authorization', bearer(b)).expect(200);
      expect(res.body).toMatchObject({ status: 'logged_out', endReason: 'logout' });
    });

    it("answers 404 for another user's session and changes nothing", async () => {
      const alice = await login(t.http, await registerUser(t.http));
      const bob = await login(t.http, await registerUser(t.http));
      await t.http.get(`/v1/sessions/${bob.sessionId}`).set('Authorization', bearer(alice)).expect(404);
      const res = await t.http.delete(`/v1/sessions/${bob.sessionId}`).set('Authorization', bearer(alice)).expect(404);
      expect(res.body).toEqual({
        statusCode: 404,
        code: 'not_found',
        error: 'Not Found',
        message: 'Session not found',
      });
      await t.http.get('/v1/auth/me').set('Authorization', bearer(bob)).expect(200);
      await t.http
        .get('/v1/sessions/5f0c7c52-8d0e-4b4e-9a55-0b7a0d7b1c11')
        .set('Authorization', bearer(alice))
        .expect(404);
    });

    it.each(['not-a-uuid', '1', "1' OR '1'='1"])('answers 400 for the id %s', async (id) => {
      const a = await login(t.http, await registerUser(t.http));
      await t.http
        .get(`/v1/sessions/${encodeURIComponent(id)}`)
        .set('Authorization', bearer(a))
        .expect(400);
      await t.http
        .delete(`/v1/sessions/${encodeURIComponent(id)}`)
        .set('Authorization', bearer(a))
        .expect(400);
    });

    it.each(['', '?scope=', '?scope=mine', '?scope=all&x=1'])(
      'DELETE /v1/sessions%s is 400 and ends nothing',
      async (q) => {
        const a = await login(t.http, await registerUser(t.http));
        await t.http.delete(`/v1/sessions${q}`).set('Authorization', bearer(a)).expect(400);
        await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(200);
      },
    );

    it.each(['?status=ended', '?status=', '?limit=0', '?limit=abc', '?foo=1'])(
      'GET /v1/sessions%s is 400',
      async (q) => {
        const a = await login(t.http, await registerUser(t.http));
        await t.http.get(`/v1/sessions${q}`).set('Authorization', bearer(a)).expect(400);
      },
    );

    it('writes last_active_at at most once a minute', async () => {
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const read = () => storedLastActive(t, a.sessionId);
      const created = await read();
      t.clock.advance(30_000);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(200);
      await flushTouches(t);
      expect(await read()).toBe(created);
      t.clock.advance(31_000);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(200);
      await flushTouches(t);
      expect(await read()).toBe(created + 61_000);
    });

    it("writes many sessions' last_active_at in one statement, skipping ended and recently written ones", async () => {
      const repo = t.get(SessionsRepository);
      const user = await registerUser(t.http);
      const [a, b, ended, recent] = [
        await login(t.http, user),
        await login(t.http, user),
        await login(t.http, user),
        await login(t.http, user),
      ];
      await t.http.delete(`/v1/sessions/${ended.sessionId}`).set('Authorization', bearer(a)).expect(204);
      t.clock.advance(61_000);
      const now = t.clock.now();
      expect(await repo.touchLastActive([recent.sessionId], now - 1_000, now - 61_000)).toBe(1);
      const read = (id: string) => storedLastActive(t, id);
      const before = { ended: await read(ended.sessionId), recent: await read(recent.sessionId) };
      // Five ids, padded to eight by repeating the last one (a real session: counted once).
      const ids = [b.sessionId, ended.sessionId, recent.sessionId, '00000000-0000-4000-8000-000000000000', a.sessionId];
      expect(await repo.touchLastActive(ids, now, now - 60_000)).toBe(2);
      expect([await read(a.sessionId), await read(b.sessionId)]).toEqual([now, now]);
      expect({ ended: await read(ended.sessionId), recent: await read(recent.sessionId) }).toEqual(before);
      expect(Object.fromEntries(await repo.lastActiveAt([a.sessionId, recent.sessionId]))).toEqual({
        [a.sessionId]: now,
        [recent.sessionId]: now - 1_000,
      });
      expect(await repo.touchLastActive([a.sessionId, b.sessionId], now, now - 60_000)).toBe(0);
    });

    it(
      'one batch writes sessions whose minute came up a moment apart (each stored a minute before its own ' +
        'request)',
      async () => {
        const user = await registerUser(t.http);
        const a = await login(t.http, user);
        t.clock.advance(100);
        const b = await login(t.http, user);
        const read = (id: string) => storedLastActive(t, id);
        const [createdA, createdB] = [await read(a.sessionId), await read(b.sessionId)];
        t.clock.advance(59_900); // a's minute is up, b's is 100 ms away
        await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(200);
        t.clock.advance(100);
        await t.http.get('/v1/auth/me').set('Authorization', bearer(b)).expect(200);
        await flushTouches(t);
        expect(await read(a.sessionId)).toBe(createdA + 60_000);
        // The batch's earliest time when both shared one write; its own when the window closed between them.
        expect([createdA + 60_000, createdB + 60_000]).toContain(await read(b.sessionId));
      },
    );
  });

  describe('auth', () => {
    it('session reads asked together (one statement on MySQL) each get their own row or none', async () => {
      const repo = t.get(SessionsRepository);
      const [u1, u2] = [await registerUser(t.http), await registerUser(t.http)];
      const [a, b, c] = [
        await login(t.http, u1, { deviceName: 'A' }),
        await login(t.http, u1, { deviceName: 'B' }),
        await login(t.http, u2, { deviceName: 'C' }),
      ];
      // On MySQL, count the statements the five reads make on the driver's pool.
      const pool =
        db === 'mysql'
          ? (t.dataSource.driver as unknown as { pool: { execute: (...args: unknown[]) => unknown } }).pool
          : null;
      const execute = pool?.execute;
      let statements = 0;
      if (pool) pool.execute = (...args: unknown[]) => (statements++, execute!.apply(pool, args));
      try {
        const rows = await Promise.all([
          repo.findForAuth(a.sessionId, u1.id),
          repo.findForAuth(c.sessionId, u2.id),
          repo.findForAuth(b.sessionId, u2.id), // another user's session
          repo.findForAuth('00000000-0000-4000-8000-000000000000', u1.id),
          repo.findForAuth(b.sessionId, u1.id),
        ]);
        // The device names come from the rows read, not from the arguments.
        expect(rows.map((r) => r && [r.userId, r.display.deviceName, r.user.email])).toEqual([
          [u1.id, 'A', u1.email],
          [u2.id, 'C', u2.email],
          null,
          null,
          [u1.id, 'B', u1.email],
        ]);
        if (pool) expect(statements).toBe(1);
      } finally {
        if (pool) pool.execute = execute!;
      }
    });

    it("answers many sessions' concurrent requests each from its own session (reads coalesced on MySQL)", async () => {
      const users = [await registerUser(t.http), await registerUser(t.http), await registerUser(t.http)];
      const pairs = [];
      for (const u of users)
        pairs.push(
          await login(t.http, u, { deviceName: `first of ${u.email}` }),
          await login(t.http, u, { deviceName: `second of ${u.email}` }),
        );
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(pairs[3])).expect(204);
      const answers = await Promise.all(
        [...pairs, ...pairs].map((p) => t.http.get('/v1/auth/me').set('Authorization', bearer(p))),
      );
      answers.forEach((res, i) => {
        const k = i % pairs.length;
        const user = users[Math.floor(k / 2)];
        if (k === 3) expect(res.status).toBe(401);
        else
          expect([res.status, res.body.session.deviceName, res.body.user.email]).toEqual([
            200,
            `${k % 2 ? 'second' : 'first'} of ${user.email}`,
            user.email,
          ]);
      });
    });

    it('me returns the user and the current session', async () => {
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const res = await t.http.get('/v1/auth/me').set('Authorization', `bearer ${a.accessToken}`).expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, email: user.email, roles: ['user'] });
      expect(res.body.session).toMatchObject({ id: a.sessionId, current: true, status: 'active' });
    });

    it('logout ends this session only', async () => {
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const b = await login(t.http, user);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(a)).expect(204);
      const res = await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      await t.http.get('/v1/auth/me').set('Authorization', bearer(b)).expect(200);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(a)).expect(401);
    });

    it.each([
      ['no header', undefined],
      ['a garbage token', 'Bearer abc.def.ghi'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['an empty bearer', 'Bearer '],
    ])('answers 401 with WWW-Authenticate for %s', async (_, header) => {
      const req = t.http.get('/v1/sessions');
      if (header) req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('does not accept a token in the query string', async () => {
      const a = await login(t.http, await registerUser(t.http));
      await t.http.get(`/v1/auth/me?access_token=${a.accessToken}`).expect(401);
    });

    it('every authenticated route is closed without a token', async () => {
      const id = '5f0c7c52-8d0e-4b4e-9a55-0b7a0d7b1c11';
      await t.http.post('/v1/auth/logout').expect(401);
      await t.http.get('/v1/auth/me').expect(401);
      await t.http.get('/v1/sessions').expect(401);
      await t.http.get(`/v1/sessions/${id}`).expect(401);
      await t.http.delete(`/v1/sessions/${id}`).expect(401);
      await t.http.delete('/v1/sessions?scope=all').expect(401);
      await t.http.patch('/v1/users/me').send({ name: 'x' }).expect(401);
      await t.http.post('/v1/users/me/password').send({ currentPassword: 'a', newPassword: 'b' }).expect(401);
      await t.http.get(`/v1/admin/users/${id}/sessions`).expect(401);
      await t.http.delete(`/v1/admin/users/${id}/sessions`).expect(401);
    });
  });

  describe('users', () => {
    it('PATCH /v1/users/me changes the name', async () => {
      const a = await login(t.http, await registerUser(t.http));
      const res = await t.http
        .patch('/v1/users/me')
        .set('Authorization', bearer(a))
        .send({ name: '  Ada King ' })
        .expect(200);
      expect(res.body.name).toBe('Ada King');
    });

    it.each([{}, { name: '' }, { name: 7 }, { name: 'x'.repeat(101) }, { name: 'ok', email: 'evil@example.com' }])(
      'PATCH /v1/users/me %j is 400 and changes nothing',
      async (body) => {
        const user = await registerUser(t.http, { name: 'Before' });
        const a = await login(t.http, user);
        await t.http.patch('/v1/users/me').set('Authorization', bearer(a)).send(body).expect(400);
        const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(a)).expect(200);
        expect(me.body.user).toMatchObject({ name: 'Before', email: user.email });
      },
    );
  });

  describe('health and docs', () => {
    it('GET /health is 200 while the database answers', async () => {
      await t.http.get('/health').expect(200, { status: 'ok' });
      await t.http.get('/health/live').expect(200, { status: 'ok' });
    });

    it('serves Swagger UI and an OpenAPI document with bearer auth and every route', async () => {
      const ui = await t.http.get('/docs').redirects(1).expect(200);
      expect(ui.text).toContain('swagger');
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(Object.keys(doc.paths).sort()).toEqual(
        [
          '/.well-known/jwks.json',
          '/.well-known/oauth-authorization-server',
          '/health',
          '/health/live',
          '/v1/admin/users/{id}/disable',
          '/v1/admin/users/{id}/enable',
          '/v1/admin/users/{id}/sessions',
          '/v1/auth/login',
          '/v1/auth/logout',
          '/v1/auth/me',
          '/v1/auth/not-me',
          '/v1/auth/password/forgot',
          '/v1/auth/password/reset',
          '/v1/auth/reauthenticate',
          '/v1/auth/refresh',
          '/v1/auth/register',
          '/v1/auth/verify-email',
          '/v1/auth/verify-email/resend',
          '/v1/oauth/introspect',
          '/v1/oauth/revoke',
          '/v1/sessions',
          '/v1/sessions/{id}',
          '/v1/users/me',
          '/v1/users/me/password',
        ].sort(),
      );
      expect(doc.components.schemas.SessionResponse.required).toEqual(
        expect.arrayContaining(['id', 'current', 'status', 'device', 'location', 'endedAt', 'endReason']),
      );
      // refreshToken is absent in cookie mode (refreshTokenIn: "cookie"), so it is not required.
      expect(doc.components.schemas.TokenPairResponse.required).toEqual(
        expect.arrayContaining(['accessToken', 'tokenType', 'expiresIn', 'sessionId']),
      );
      expect(doc.components.schemas.TokenPairResponse.properties.refreshToken).toBeDefined();
    });

    it('answers unknown routes with the error shape', async () => {
      await t.http
        .get('/v1/nope')
        .expect(404)
        .expect((r) => expect(r.body).toMatchObject({ statusCode: 404, error: 'Not Found' }));
    });
  });
});
