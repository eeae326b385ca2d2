import type { AddressInfo } from 'node:net';
import { registerAdmin } from './factories/admin.js';
import { bearer, login, registerUser, TokenPair, UA } from './factories/users.js';
import { countStatuses, releaseTogether } from './utils/barrier.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

const REAUTH_MAX_AGE = 600_000;
const PER_ACCOUNT = 10;

/**
 * Recent authentication (SPEC Part 2, "Account security"; ASVS 5.0 7.5.2): ending another
 * session needs a session that proved the password within REAUTH_MAX_AGE; a login counts, and
 * POST /v1/auth/reauthenticate renews it through the one account lockout.
 */
describe.each(testDatabases)('recent authentication on %s', (db) => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    // Access tokens outlive the steps of the clock below.
    t = await createTestApp(db, { LOGIN_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT), ACCESS_TOKEN_TTL: '3600' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
  const reauth = (pair: TokenPair, password: string) =>
    t.http
      .post('/v1/auth/reauthenticate')
      .set('Authorization', bearer(pair))
      .set('X-Forwarded-For', randomIp())
      .send({ password });
  const refused = (res: { status: number; body: { code?: string } }) =>
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'reauth_required' });
  const twoDevices = async () => {
    const user = await registerUser(t.http);
    const laptop = await login(t.http, user);
    const phone = await login(t.http, user, { ua: UA.iphoneSafari });
    return { user, laptop, phone };
  };

  it('a fresh login may end another session; past REAUTH_MAX_AGE every way of ending others is 403', async () => {
    const { user, laptop, phone } = await twoDevices();
    const tablet = await login(t.http, user, { ua: UA.ipad });
    t.clock.advance(REAUTH_MAX_AGE - 1000);
    await t.http
      .delete(`/v1/sessions/${tablet.sessionId.toUpperCase()}`)
      .set('Authorization', bearer(laptop))
      .expect(204);
    await me(tablet).expect(401);

    t.clock.advance(1000);
    await me(phone).expect(200); // cached: a refusal must leave it live
    refused(await t.http.delete(`/v1/sessions/${phone.sessionId}`).set('Authorization', bearer(laptop)));
    refused(await t.http.delete(`/v1/sessions/${phone.sessionId.toUpperCase()}`).set('Authorization', bearer(laptop)));
    refused(await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(laptop)));
    refused(await t.http.delete('/v1/sessions?scope=all').set('Authorization', bearer(laptop)));
    await me(phone).expect(200);
    await me(laptop).expect(200);
    const listed = await t.http.get('/v1/sessions').set('Authorization', bearer(laptop)).expect(200);
    expect(listed.body).toHaveLength(2);
    // Another user's id is still a 404, before any proof is asked.
    const stranger = await login(t.http, await registerUser(t.http));
    await t.http.delete(`/v1/sessions/${stranger.sessionId}`).set('Authorization', bearer(laptop)).expect(404);
    // Ending one's own session never needs a proof.
    await t.http
      .delete(`/v1/sessions/${laptop.sessionId.toUpperCase()}`)
      .set('Authorization', bearer(laptop))
      .expect(204);
    await me(laptop).expect(401);
  });

  it('reauthenticate: a wrong password is 403 invalid_credentials and changes nothing; the right one renews', async () => {
    const { user, laptop, phone } = await twoDevices();
    t.clock.advance(REAUTH_MAX_AGE);
    const wrong = await reauth(laptop, 'not my password');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'invalid_credentials',
      message: expect.any(String),
    });
    await me(laptop).expect(200); // not 401: the client's tokens stay good
    refused(await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(laptop)));

    await reauth(laptop, user.password).expect(204);
    // The proof is the session's own: the phone is still not recently authenticated.
    refused(await t.http.delete(`/v1/sessions/${laptop.sessionId}`).set('Authorization', bearer(phone)));
    t.clock.advance(REAUTH_MAX_AGE - 1000);
    const res = await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(laptop)).expect(200);
    expect(res.body).toEqual({ revoked: 1 });
    await me(phone).expect(401);
    t.clock.advance(1000);
    await login(t.http, user, { ua: UA.windowsFirefox });
    refused(await t.http.delete('/v1/sessions?scope=all').set('Authorization', bearer(laptop)));
  });

  it('reauthenticate needs a live bearer session and a password of the right shape', async () => {
    const { user, laptop } = await twoDevices();
    await t.http.post('/v1/auth/reauthenticate').send({ password: user.password }).expect(401);
    for (const body of [{}, { password: '' }, { password: 42 }, { password: user.password, extra: 1 }]) {
      const res = await reauth(laptop, '').send(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
    await t.http.delete(`/v1/sessions/${laptop.sessionId}`).set('Authorization', bearer(laptop)).expect(204);
    const ended = await reauth(laptop, user.password);
    expect({ status: ended.status, code: ended.body.code }).toEqual({ status: 401, code: 'session_ended' });
  });

  it('admin routes ask no proof', async () => {
    const admin = await registerAdmin(t);
    const adminPair = await login(t.http, admin);
    const { user, phone } = await twoDevices();
    t.clock.advance(REAUTH_MAX_AGE * 2);
    const res = await t.http
      .delete(`/v1/admin/users/${user.id.toUpperCase()}/sessions`)
      .set('Authorization', bearer(adminPair))
      .expect(200);
    expect(res.body).toEqual({ revoked: 2 });
    await me(phone).expect(401);
  });

  it(`30 wrong reauthentications at once: exactly ${PER_ACCOUNT} checked, the rest (and then the right one) 429`, async () => {
    const { user, laptop } = await twoDevices();
    const answers = await releaseTogether(
      port,
      Array.from({ length: 30 }, (_, i) => ({
        method: 'POST',
        path: '/v1/auth/reauthenticate',
        headers: { Authorization: bearer(laptop), 'X-Forwarded-For': randomIp() },
        body: { password: `wrong guess ${i}` },
      })),
    );
    expect(countStatuses(answers)).toEqual({ 403: PER_ACCOUNT, 429: 30 - PER_ACCOUNT });
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.body).toMatchObject({ code: 'rate_limited' });
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect429(await reauth(laptop, user.password));
    // Logins of the account count in the same counter: locked too.
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password }),
    );
  });
});

describe('recent authentication: REAUTH_MAX_AGE and the per-IP limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { REAUTH_MAX_AGE: '60', RATE_LIMIT_PER_IP: '3' });
  });
  afterAll(() => t.close());

  it('REAUTH_MAX_AGE sets the age; reauthenticate is limited per IP like login', async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const pair = await login(t.http, user, { ip: randomIp() });
    const other = await login(t.http, user, { ua: UA.iphoneSafari, ip: randomIp() });
    t.clock.advance(60_000);
    const res = await t.http.delete(`/v1/sessions/${other.sessionId}`).set('Authorization', bearer(pair));
    expect(res.body.code).toBe('reauth_required');
    const ip = randomIp();
    for (let i = 0; i < 3; i += 1)
      await t.http
        .post('/v1/auth/reauthenticate')
        .set('Authorization', bearer(pair))
        .set('X-Forwarded-For', ip)
        .send({ password: user.password })
        .expect(204);
    expect429(
      await t.http
        .post('/v1/auth/reauthenticate')
        .set('Authorization', bearer(pair))
        .set('X-Forwarded-For', ip)
        .send({ password: user.password }),
    );
  });
});

describe('recent authentication and deletion: nothing secret in the log', () => {
  let t: TestApp;
  const logged: string[] = [];
  beforeAll(async () => {
    t = await createTestApp(
      'sqlite',
      { LOG_LEVEL: 'trace' },
      { logDestination: { write: (chunk: string) => void logged.push(chunk) } },
    );
  });
  afterAll(() => t.close());

  it('logs no password nor token of reauthenticate or DELETE /v1/users/me, right, wrong or malformed', async () => {
    const user = await registerUser(t.http, { password: 'the real passphrase 7431' });
    const pair = await login(t.http, user);
    const send = (method: 'post' | 'delete', path: string, body: object) =>
      t.http[method](path).set('Authorization', bearer(pair)).send(body);
    await send('post', '/v1/auth/reauthenticate', { password: 'wrong passphrase 9917' }).expect(403);
    await send('post', '/v1/auth/reauthenticate', { password: 'the real passphrase 7431', extra: 'x' }).expect(400);
    await send('post', '/v1/auth/reauthenticate', { password: 'the real passphrase 7431' }).expect(204);
    await send('delete', '/v1/users/me', { password: 'wrong passphrase 5523' }).expect(403);
    await send('delete', '/v1/users/me', { password: ['the real passphrase 7431'] }).expect(400);
    await send('delete', '/v1/users/me', { password: 'the real passphrase 7431' }).expect(204);
    const text = logged.join('');
    expect(text).toContain('/v1/users/me');
    for (const secret of [
      'the real passphrase',
      'wrong passphrase',
      pair.accessToken,
      pair.refreshToken,
      pair.accessToken.split('.')[2],
    ])
      expect(text).not.toContain(secret);
  });
});
