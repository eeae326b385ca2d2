import type { Response } from 'supertest';
import { registerAdmin } from './factories/admin.js';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { randomIp } from './utils/rate-limit.js';

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

/**
 * Every error path of the existing routes answers the code SPEC Part 2 names for it, in the one
 * shape `{statusCode, code, error, message}` (503 `service_unavailable`: test/faults cuts the
 * database). Clients branch on these; messages may change, codes may not.
 */
describe.each(testDatabases)('error codes on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, { BODY_LIMIT: '2048', LOGIN_FAILURES_PER_ACCOUNT: '2' });
  });
  afterAll(() => t.close());

  const expectCode = (res: Response, status: number, code: string) =>
    expect({ status: res.status, body: res.body }).toEqual({
      status,
      body: { statusCode: status, code, error: REASON[status], message: expect.anything() },
    });

  it('400 validation_failed', async () => {
    expectCode(await t.http.post('/v1/auth/register').send({ email: 'nope', password: 'x' }), 400, 'validation_failed');
    expectCode(await t.http.post('/v1/auth/login').type('json').send('{"email":'), 400, 'validation_failed');
  });

  it('401 token_missing, token_invalid, token_expired, session_ended', async () => {
    const pair = await login(t.http, await registerUser(t.http));
    expectCode(await t.http.get('/v1/auth/me'), 401, 'token_missing');
    expectCode(await t.http.get('/v1/auth/me').set('Authorization', 'Bearer a.b.c'), 401, 'token_invalid');
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair)).expect(204);
    expectCode(await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)), 401, 'session_ended');
    const later = await login(t.http, await registerUser(t.http));
    t.clock.advance(t.config.auth.accessTokenTtl * 1000 + 1000);
    expectCode(await t.http.get('/v1/auth/me').set('Authorization', bearer(later)), 401, 'token_expired');
  });

  it('401 invalid_credentials (login), refresh_invalid, refresh_reused', async () => {
    const user = await registerUser(t.http);
    const wrong = await t.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', randomIp())
      .send({ email: user.email, password: 'not the password' });
    expectCode(wrong, 401, 'invalid_credentials');
    const pair = await login(t.http, user);
    const altered = pair.refreshToken.slice(0, -2) + (pair.refreshToken.endsWith('AA') ? 'BB' : 'AA');
    expectCode(await t.http.post('/v1/auth/refresh').send({ refreshToken: altered }), 401, 'refresh_invalid');
    // Another spelling of the same bytes (the last character's two unused bits set) is not the token.
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = pair.refreshToken.slice(0, -1) + B64URL[B64URL.indexOf(pair.refreshToken.at(-1)!) | 1];
    expectCode(await t.http.post('/v1/auth/refresh').send({ refreshToken: respelled }), 401, 'refresh_invalid');
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    t.clock.advance(t.config.session.refreshReuseGrace * 1000 + 1);
    expectCode(await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }), 401, 'refresh_reused');
  });

  it('403 invalid_credentials (a wrong current password) and forbidden', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const change = await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(pair))
      .send({ currentPassword: 'not the password', newPassword: 'a completely new passphrase' });
    expectCode(change, 403, 'invalid_credentials');
    expectCode(
      await t.http.get(`/v1/admin/users/${user.id}/sessions`).set('Authorization', bearer(pair)),
      403,
      'forbidden',
    );
  });

  it('404 not_found: an unknown session, user or route', async () => {
    const pair = await login(t.http, await registerUser(t.http));
    const admin = await login(t.http, await registerAdmin(t));
    const unknown = '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b';
    expectCode(await t.http.get(`/v1/sessions/${unknown}`).set('Authorization', bearer(pair)), 404, 'not_found');
    expectCode(
      await t.http.delete(`/v1/admin/users/${unknown}/sessions`).set('Authorization', bearer(admin)),
      404,
      'not_found',
    );
    expectCode(await t.http.get('/v1/nope'), 404, 'not_found');
  });

  it('409 email_taken, 413 payload_too_large, 415 unsupported_media_type', async () => {
    const user = await registerUser(t.http);
    expectCode(
      await t.http.post('/v1/auth/register').send({ email: user.email, password: 'another good passphrase' }),
      409,
      'email_taken',
    );
    expectCode(
      await t.http.post('/v1/auth/register').send({ email: 'big@example.com', password: 'x'.repeat(4000) }),
      413,
      'payload_too_large',
    );
    expectCode(
      await t.http.post('/v1/auth/login').type('form').send({ email: user.email, password: user.password }),
      415,
      'unsupported_media_type',
    );
  });

  it('429 rate_limited with Retry-After, from the lockout and from the per-IP limit', async () => {
    const user = await registerUser(t.http);
    const guess = () =>
      t.http.post('/v1/auth/login').set('X-Forwarded-For', randomIp()).send({ email: user.email, password: 'guess' });
    await guess().expect(401);
    await guess().expect(401);
    const locked = await guess();
    expectCode(locked, 429, 'rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);

    const limited = await createTestApp(db, { RATE_LIMIT_PER_IP: '1', RATE_LIMIT_WINDOW: '60' });
    try {
      const ip = randomIp();
      await limited.http.post('/v1/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'x' }).expect(401);
      const res = await limited.http.post('/v1/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken: 'x' });
      expectCode(res, 429, 'rate_limited');
      // The throttler's own wait (its window), not a made-up one.
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(50);
    } finally {
      await limited.close();
    }
  });
});
