import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { captureLogs } from './utils/capture-logs.js';

describe('structured JSON logs', () => {
  describe('at LOG_LEVEL=info', () => {
    let t: TestApp;
    const logs = captureLogs();
    beforeAll(async () => {
      t = await createTestApp('sqlite', { LOG_LEVEL: 'info' }, { logDestination: logs.stream });
    });
    afterAll(() => t.close());

    it('logs one line per request with its id, echoed in X-Request-Id, and redacts credentials', async () => {
      const user = await registerUser(t.http);
      const pair = await login(t.http, user);
      const res = await t.http
        .get('/v1/auth/me')
        .set('Authorization', bearer(pair))
        .set('Cookie', 'sid=cookie-secret')
        .expect(200);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const line = logs.lines().find((l) => l.reqId === id && l.msg === 'request completed');
      expect(line).toMatchObject({
        level: 30,
        req: { method: 'GET', url: '/v1/auth/me', headers: { authorization: '[Redacted]', cookie: '[Redacted]' } },
        res: { statusCode: 200 },
      });
      for (const secret of [pair.accessToken, pair.refreshToken, user.password, 'cookie-secret'])
        expect(logs.text()).not.toContain(secret);
    });

    it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
      const kept = await t.http.get('/v1/auth/me').set('X-Request-Id', 'edge-7f3a.42').expect(401);
      expect(kept.headers['x-request-id']).toBe('edge-7f3a.42');
      expect(logs.lines().find((l) => l.reqId === 'edge-7f3a.42')).toMatchObject({
        level: 40,
        res: { statusCode: 401 },
      });
      const replaced = await t.http.get('/v1/auth/me').set('X-Request-Id', 'has spaces; and more').expect(401);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("says on a failed request's line why it failed, next to the service's own line", async () => {
      const user = await registerUser(t.http);
      const pair = await login(t.http, user);
      await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
      t.clock.advance((t.config.session.refreshReuseGrace + 1) * 1000);
      const res = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
      const line = logs.lines().find((l) => l.reqId === res.headers['x-request-id'] && l.msg === 'request completed');
      expect(line).toMatchObject({ level: 40, res: { statusCode: 401 }, failure: res.body.message });
      expect(line.failure).toMatch(/already used/);
      const warning = logs.lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('refresh token reuse'));
      expect(warning).toMatchObject({
        level: 40,
        context: 'SessionsService',
        msg: `refresh token reuse: session ${pair.sessionId} ended`,
      });
    });

    it('leaves health probes out', async () => {
      const res = await t.http.get('/health/live').expect(200);
      expect(logs.lines().filter((l) => l.reqId === res.headers['x-request-id'])).toEqual([]);
    });
  });
});
