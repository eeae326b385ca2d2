import { registerAdmin } from './factories/admin.js';
import { bearer, login, registerUser, TestUser, TokenPair, UA } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { PUBLIC_URL, settle } from './utils/mail.js';
import { randomIp } from './utils/rate-limit.js';
import { linkIn, startSmtpServer, TestSmtp } from './utils/smtp-server.js';

const UNKNOWN = '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b';

/**
 * Admin disable / enable (SPEC Part 2, "Account security"): disabling ends every session
 * (`admin`) and refuses logins — 403 `account_disabled` for the right password only — and no
 * mailed link lets the owner back in; enabling lets them log in again.
 */
describe.each(testDatabases)('admin disable and enable on %s', (db) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: TokenPair;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(db, { SMTP_URL: smtp.url, PUBLIC_URL });
    admin = await login(t.http, await registerAdmin(t));
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
  const act = (verb: 'disable' | 'enable', id: string, as = admin) =>
    t.http.post(`/v1/admin/users/${id}/${verb}`).set('Authorization', bearer(as));
  const tryLogin = (user: TestUser, password = user.password) =>
    t.http.post('/v1/auth/login').set('X-Forwarded-For', randomIp()).send({ email: user.email, password });
  const outcomes = async (userId: string) =>
    (await t.dataSource.query('SELECT outcome FROM login_audit WHERE user_id = ? ORDER BY created_at', [userId])).map(
      (r: { outcome: string }) => r.outcome,
    );

  it('disable ends every session at once and refuses logins: 403 for the right password, 401 otherwise', async () => {
    const user = await registerUser(t.http);
    const laptop = await login(t.http, user);
    const phone = await login(t.http, user, { ua: UA.iphoneSafari });
    await me(phone).expect(200); // cached: disabling must evict it
    await act('disable', user.id.toUpperCase()).expect(204);

    for (const pair of [laptop, phone]) {
      const res = await me(pair);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'session_ended' });
    }
    await t.http.post('/v1/auth/refresh').send({ refreshToken: laptop.refreshToken }).expect(401);
    const listed = await t.http
      .get(`/v1/admin/users/${user.id}/sessions?status=all`)
      .set('Authorization', bearer(admin))
      .expect(200);
    expect(listed.body.map((s: { status: string; endReason: string }) => [s.status, s.endReason])).toEqual([
      ['revoked', 'admin'],
      ['revoked', 'admin'],
    ]);

    // Audit rows are ordered by created_at (the fake clock): each attempt gets its own moment.
    t.clock.advance(1_000);
    const right = await tryLogin(user);
    expect(right.status).toBe(403);
    expect(right.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'account_disabled',
      message: expect.any(String),
    });
    t.clock.advance(1_000);
    const wrong = await tryLogin(user, 'not the password');
    expect({ status: wrong.status, code: wrong.body.code }).toEqual({ status: 401, code: 'invalid_credentials' });
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND token_deleted = ?',
      [user.id, false],
    );
    expect(Number(n)).toBe(0);
    // The test clock stands still: rows of one test share created_at, so compare as a multiset.
    expect((await outcomes(user.id)).sort()).toEqual(['disabled', 'invalid_credentials', 'success', 'success']);
    // Repeating it changes nothing.
    await act('disable', user.id).expect(204);
  });

  it('no mailed link lets a disabled owner back in: earlier links die, forgot-password mails nothing', async () => {
    const user = await registerUser(t.http);
    await smtp.next(user.email); // the verification mail
    await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(202);
    const { token } = linkIn(await smtp.next(user.email), '/account/reset');
    await act('disable', user.id).expect(204);

    const reset = await t.http.post('/v1/auth/password/reset').send({ token, newPassword: 'a brand new passphrase' });
    expect({ status: reset.status, code: reset.body.code }).toEqual({ status: 400, code: 'link_invalid' });
    await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(202);
    await settle(t);
    expect(smtp.waiting(user.email)).toEqual([]);
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM link_tokens WHERE user_id = ? AND used_at IS NULL',
      [user.id],
    );
    expect(Number(n)).toBe(0);
    expect((await tryLogin(user)).body.code).toBe('account_disabled');
  });

  it('enable lets the owner log in again; the ended sessions stay ended', async () => {
    const user = await registerUser(t.http);
    const before = await login(t.http, user);
    await act('disable', user.id).expect(204);
    await act('enable', user.id.toUpperCase()).expect(204);
    await act('enable', user.id).expect(204);
    await me(before).expect(401);
    const after = await login(t.http, user);
    await me(after).expect(200);
    expect((await outcomes(user.id)).at(-1)).toBe('success');
  });

  it('admins only, known ids only, and no recent authentication asked', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    for (const verb of ['disable', 'enable'] as const) {
      const forbidden = await act(verb, user.id, pair);
      expect({ status: forbidden.status, code: forbidden.body.code }).toEqual({ status: 403, code: 'forbidden' });
      const unknown = await act(verb, UNKNOWN);
      expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'not_found' });
      const bad = await act(verb, 'not-a-uuid');
      expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'validation_failed' });
      await t.http.post(`/v1/admin/users/${user.id}/${verb}`).expect(401);
    }
    await me(pair).expect(200);
    // The admin's own login is older than REAUTH_MAX_AGE now; admin routes do not ask for a proof.
    t.clock.advance(t.config.auth.reauthMaxAge * 1000 + 1000);
    const fresh = await login(t.http, await registerAdmin(t));
    t.clock.advance(t.config.auth.reauthMaxAge * 1000 + 1000);
    await act('disable', user.id, fresh).expect(204);
    await me(pair).expect(401);
  });
});
