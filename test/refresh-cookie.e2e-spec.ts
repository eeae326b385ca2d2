import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { bearer, registerUser, TestUser, UA } from './factories/users.js';
import { releaseTogether } from './utils/barrier.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const COOKIE = '__Host-ds_refresh';
const APP_ORIGIN = 'https://app.example.com';
const PUBLIC_URL = 'https://auth.example.com/base';
const DAY_S = 86_400;

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

/** The Set-Cookie lines of an answer, attributes keyed in lower case (`true` for a flag). */
function setCookies(res: Response): SetCookie[] {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (raw ?? []).map((line) => {
    const [pair, ...attrs] = line.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const a of attrs) {
      const i = a.indexOf('=');
      if (i < 0) attributes[a.toLowerCase()] = true;
      else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
    }
    return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attributes };
  });
}

function refreshCookie(res: Response): SetCookie {
  const cookies = setCookies(res).filter((c) => c.name === COOKIE);
  expect(cookies).toHaveLength(1);
  return cookies[0];
}

describe.each(testDatabases)('refresh token in a cookie on %s (ASVS 5.0 3.3.1–3.3.4, 3.5.1, 3.5.2, 14.3.1)', (db) => {
  let t: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    t = await createTestApp(
      db,
      { CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173`, PUBLIC_URL, LOG_LEVEL: 'info' },
      { logDestination: logs.stream },
    );
  });
  afterAll(() => t.close());

  const row = async (id: string) => {
    const [r] = await t.dataSource.query(
      'SELECT refresh_token_hash, refresh_generation, refreshed_at, ended_at, end_reason FROM sessions WHERE id = ?',
      [id],
    );
    return { ...r, refresh_generation: Number(r.refresh_generation), refreshed_at: Number(r.refreshed_at) };
  };

  async function cookieLogin(
    user?: TestUser,
  ): Promise<{ user: TestUser; body: Record<string, unknown>; cookie: SetCookie }> {
    const u = user ?? (await registerUser(t.http));
    const res = await t.http
      .post('/v1/auth/login')
      .set('User-Agent', UA.macChrome)
      .send({ email: u.email, password: u.password, refreshTokenIn: 'cookie' })
      .expect(200);
    return { user: u, body: res.body, cookie: refreshCookie(res) };
  }

  const refreshWith = (token: string, headers: Record<string, string> = { 'X-CSRF-Protection': '1' }) =>
    t.http
      .post('/v1/auth/refresh')
      .set({ Cookie: `${COOKIE}=${token}`, ...headers })
      .send({});

  it('sets the cookie HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, to the absolute expiry, and leaves it out of the body', async () => {
    const { body, cookie } = await cookieLogin();
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'sessionId', 'tokenType']);
    expect(cookie.attributes).toEqual({
      'max-age': String(t.config.session.absoluteTtl),
      path: '/',
      httponly: true,
      secure: true,
      samesite: 'Strict',
    });
    expect(cookie.value).toMatch(/^[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(cookie.value.startsWith(`${String(body.sessionId)}.`)).toBe(true);
    await t.http
      .get('/v1/auth/me')
      .set('Authorization', bearer(String(body.accessToken)))
      .expect(200);

    // Ten days on, a refresh's cookie lives only as long as the session still may.
    t.clock.advance(10 * DAY_S * 1000);
    const res = await refreshWith(cookie.value).expect(200);
    expect(res.body.refreshToken).toBeUndefined();
    expect(refreshCookie(res).attributes['max-age']).toBe(String(t.config.session.absoluteTtl - 10 * DAY_S));
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('keeps the body form the default, with no cookie', async () => {
    const user = await registerUser(t.http);
    const res = await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.headers['set-cookie']).toBeUndefined();
    const next = await t.http.post('/v1/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(200);
    expect(typeof next.body.refreshToken).toBe('string');
    expect(next.headers['set-cookie']).toBeUndefined();
  });

  it('rotates through the cookie with the same grace and reuse rules as the body form', async () => {
    const { body, cookie: first } = await cookieLogin();
    const sessionId = String(body.sessionId);
    const second = await refreshWith(first.value).expect(200);
    const secondCookie = refreshCookie(second);
    expect(secondCookie.value).not.toBe(first.value);
    expect((await row(sessionId)).refresh_generation).toBe(1);

    // Within the grace the token just rotated away gets the current pair again, no new branch.
    t.clock.advance(t.config.session.refreshReuseGrace * 1000 - 1);
    const again = await refreshWith(first.value).expect(200);
    expect(refreshCookie(again).value).toBe(secondCookie.value);
    expect(again.body.accessToken).toBe(second.body.accessToken);
    expect((await row(sessionId)).refresh_generation).toBe(1);

    const third = await refreshWith(secondCookie.value).expect(200);
    const access = String(third.body.accessToken);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(access)).expect(200);

    // The first token again, past the grace: reuse ends the session, and the dead cookie is dropped.
    t.clock.advance(t.config.session.refreshReuseGrace * 1000 + 1);
    const reused = await refreshWith(first.value).expect(401);
    expect(reused.body.code).toBe('refresh_reused');
    const dropped = refreshCookie(reused);
    expect(dropped.value).toBe('');
    expect(dropped.attributes).toMatchObject({ 'max-age': '0', path: '/', secure: true, httponly: true });
    expect((await row(sessionId)).end_reason).toBe('refresh_reuse');
    expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(access)).expect(401)).body.code).toBe(
      'session_ended',
    );
    expect((await refreshWith(refreshCookie(third).value).expect(401)).body.code).toBe('session_ended');
  });

  it('advances the session once for concurrent refreshes with one cookie, all answered with the same cookie', async () => {
    const { body, cookie } = await cookieLogin();
    await t.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const answers = await releaseTogether(
      port,
      Array.from({ length: 6 }, () => ({
        method: 'POST',
        path: '/v1/auth/refresh',
        headers: { Cookie: `${COOKIE}=${cookie.value}`, 'X-CSRF-Protection': '1', Origin: APP_ORIGIN },
        body: {},
      })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    const values = answers.map((a) => /__Host-ds_refresh=([^;]+)/.exec(a.headers['set-cookie'])?.[1]);
    expect(new Set(values).size).toBe(1);
    expect(values[0]).not.toBe(cookie.value);
    expect((await row(String(body.sessionId))).refresh_generation).toBe(1);
  });

  it('answers cookie in with cookie out, whatever refreshTokenIn says, and a body token wins over the cookie', async () => {
    const { body, cookie } = await cookieLogin();
    const sessionId = String(body.sessionId);
    const res = await t.http
      .post('/v1/auth/refresh')
      .set({ Cookie: `${COOKIE}=${cookie.value}`, 'X-CSRF-Protection': '1' })
      .send({ refreshTokenIn: 'body' })
      .expect(200);
    expect(res.body.refreshToken).toBeUndefined();
    const current = refreshCookie(res).value;

    // A body token is read from the body (no CSRF header needed); a cookie beside it is not touched.
    const viaBody = await t.http
      .post('/v1/auth/refresh')
      .set({ Cookie: `${COOKIE}=stale-and-ignored` })
      .send({ refreshToken: current })
      .expect(200);
    expect(typeof viaBody.body.refreshToken).toBe('string');
    expect(viaBody.headers['set-cookie']).toBeUndefined();

    // A body-mode client may move to the cookie on a refresh.
    const moved = await t.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: viaBody.body.refreshToken, refreshTokenIn: 'cookie' })
      .expect(200);
    expect(moved.body.refreshToken).toBeUndefined();
    await refreshWith(refreshCookie(moved).value).expect(200);
    expect((await row(sessionId)).refresh_generation).toBe(4);
  });

  it.each([
    ['no X-CSRF-Protection', {}],
    ['X-CSRF-Protection: 0', { 'X-CSRF-Protection': '0' }],
    ['X-CSRF-Protection: true', { 'X-CSRF-Protection': 'true' }],
    ['a foreign Origin', { 'X-CSRF-Protection': '1', Origin: 'https://evil.example' }],
    ['a look-alike Origin', { 'X-CSRF-Protection': '1', Origin: `${APP_ORIGIN}.evil.example` }],
    ['Origin: null (a sandboxed frame, a redirect)', { 'X-CSRF-Protection': '1', Origin: 'null' }],
    ['the right Origin over another scheme', { 'X-CSRF-Protection': '1', Origin: 'http://app.example.com' }],
  ])('refuses a cookie refresh with %s: 403 csrf_rejected, nothing changes', async (_, headers) => {
    const { body, cookie } = await cookieLogin();
    const sessionId = String(body.sessionId);
    const before = await row(sessionId);
    t.clock.advance(60_000);
    const res = await refreshWith(cookie.value, headers).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden', code: 'csrf_rejected' });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await row(sessionId)).toEqual(before);
    // The refused token still works for a request that carries the defence.
    await refreshWith(cookie.value).expect(200);
  });

  it.each([
    ['no Origin (a same-origin GET-less client, curl)', {}],
    ["PUBLIC_URL's origin", { Origin: 'https://auth.example.com' }],
    ['an origin of CORS_ORIGINS', { Origin: APP_ORIGIN }],
    ['another origin of CORS_ORIGINS', { Origin: 'http://localhost:5173' }],
  ])('takes a cookie refresh with X-CSRF-Protection: 1 and %s', async (_, headers) => {
    const { cookie } = await cookieLogin();
    await refreshWith(cookie.value, { 'X-CSRF-Protection': '1', ...headers }).expect(200);
  });

  it('answers 401 refresh_invalid for a refresh with neither a body token nor the cookie, and for a garbage cookie', async () => {
    expect((await t.http.post('/v1/auth/refresh').send({}).expect(401)).body.code).toBe('refresh_invalid');
    expect(
      (await t.http.post('/v1/auth/refresh').set('Cookie', 'other=1; __Host-ds_refreshX=2').send({}).expect(401)).body
        .code,
    ).toBe('refresh_invalid');
    const garbage = await refreshWith('not-a-token').expect(401);
    expect(garbage.body.code).toBe('refresh_invalid');
    expect(refreshCookie(garbage).value).toBe('');
  });

  it('refuses a bad refreshTokenIn with 400 and changes nothing', async () => {
    const user = await registerUser(t.http);
    for (const refreshTokenIn of ['Cookie', 'header', '', 1, true, ['cookie'], { in: 'cookie' }]) {
      const res = await t.http
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password, refreshTokenIn })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
  });

  it('authenticates refresh only: the cookie alone opens no other route', async () => {
    const { body, cookie } = await cookieLogin();
    const withCookie = { Cookie: `${COOKIE}=${cookie.value}`, 'X-CSRF-Protection': '1', Origin: APP_ORIGIN };
    expect((await t.http.get('/v1/auth/me').set(withCookie).expect(401)).body.code).toBe('token_missing');
    await t.http.get('/v1/sessions').set(withCookie).expect(401);
    await t.http.delete('/v1/sessions?scope=all').set(withCookie).expect(401);
    await t.http.post('/v1/auth/logout').set(withCookie).expect(401);
    expect((await row(String(body.sessionId))).ended_at).toBeNull();
  });

  const expectCleared = (res: Response) => {
    expect(res.headers['clear-site-data']).toBe('"cookies"');
    const cleared = refreshCookie(res);
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toMatchObject({
      'max-age': '0',
      expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      path: '/',
      httponly: true,
      secure: true,
      samesite: 'Strict',
    });
    expect(cleared.attributes.domain).toBeUndefined();
  };
  const expectKept = (res: Response) => {
    expect(res.headers['clear-site-data']).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
  };

  it('clears the cookie with Clear-Site-Data when the current session logs out', async () => {
    const { body } = await cookieLogin();
    expectCleared(
      await t.http
        .post('/v1/auth/logout')
        .set('Authorization', bearer(String(body.accessToken)))
        .expect(204),
    );
  });

  it('clears it on DELETE /v1/sessions/:id of the current session (any letter case), not of another', async () => {
    const { user, body } = await cookieLogin();
    const other = await cookieLogin(user);
    const auth = { Authorization: bearer(String(body.accessToken)) };
    expectKept(
      await t.http
        .delete(`/v1/sessions/${String(other.body.sessionId)}`)
        .set(auth)
        .expect(204),
    );
    expectCleared(
      await t.http
        .delete(`/v1/sessions/${String(body.sessionId).toUpperCase()}`)
        .set(auth)
        .expect(204),
    );
    expect((await row(String(body.sessionId))).end_reason).toBe('logout');
  });

  it('clears it on scope=all, not on scope=others', async () => {
    const { user, body } = await cookieLogin();
    await cookieLogin(user);
    const auth = { Authorization: bearer(String(body.accessToken)) };
    expectKept(await t.http.delete('/v1/sessions?scope=others').set(auth).expect(200));
    expectCleared(await t.http.delete('/v1/sessions?scope=all').set(auth).expect(200));
  });

  it('logs no refresh token from the cookie', async () => {
    const { cookie } = await cookieLogin();
    const next = refreshCookie(await refreshWith(cookie.value).expect(200));
    await refreshWith(cookie.value, {}).expect(403);
    const text = logs.text();
    expect(text).toContain('/v1/auth/refresh');
    for (const secret of [cookie.value, next.value, cookie.value.split('.')[2]]) expect(text).not.toContain(secret);
  });
});
