import { SessionsService } from '../src/sessions/sessions.service.js';
import { bearer, login, registerUser, TokenPair, UA } from './factories/users.js';
import { registerAdmin } from './factories/admin.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { flushTouches, storedLastActive } from './utils/sessions.js';

const DAY = 86_400_000;

describe.each(testDatabases)('session lifecycle on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db);
  });
  afterAll(() => t.close());

  const refresh = (token: string) => t.http.post('/v1/auth/refresh').send({ refreshToken: token });
  const me = (pair: TokenPair | string) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
  const row = async (id: string) => (await t.dataSource.query('SELECT * FROM sessions WHERE id = ?', [id]))[0];

  describe('refresh rotation', () => {
    it('rotates the refresh token and keeps the session', async () => {
      const first = await login(t.http, await registerUser(t.http));
      t.clock.advance(1_000);
      const res = await refresh(first.refreshToken).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        sessionId: first.sessionId,
      });
      expect(res.body.refreshToken).not.toBe(first.refreshToken);
      expect(res.body.accessToken).not.toBe(first.accessToken);
      await me(res.body).expect(200);
      const stored = await row(first.sessionId);
      expect(JSON.stringify(stored)).not.toContain(res.body.refreshToken);
      expect(Number(stored.refresh_generation)).toBe(1);
    });

    it('moves last_active_at to the refresh time, never back behind a later stored one', async () => {
      const first = await login(t.http, await registerUser(t.http));
      t.clock.advance(1_000);
      const second = (await refresh(first.refreshToken).expect(200)).body;
      expect(Number((await row(first.sessionId)).last_active_at)).toBe(t.clock.now());
      // A touch (batched, from another instance) stored a later time than this refresh's clock read.
      await t.dataSource.query('UPDATE sessions SET last_active_at = ? WHERE id = ?', [
        t.clock.now() + 5_000,
        first.sessionId,
      ]);
      t.clock.advance(1_000);
      await refresh(second.refreshToken).expect(200);
      expect(Number((await row(first.sessionId)).last_active_at)).toBe(t.clock.now() + 4_000);
    });

    it('answers the just-rotated token within the grace with the current pair, without a new branch', async () => {
      const first = await login(t.http, await registerUser(t.http));
      const rotated = (await refresh(first.refreshToken).expect(200)).body;
      t.clock.advance(9_000);
      const again = (await refresh(first.refreshToken).expect(200)).body;
      expect(again).toEqual({ ...rotated, expiresIn: rotated.expiresIn - 9 });
      expect(Number((await row(first.sessionId)).refresh_generation)).toBe(1);
      const next = (await refresh(rotated.refreshToken).expect(200)).body;
      await me(next).expect(200);
    });

    it('treats an older token as reuse: the session ends and its live access token stops at once', async () => {
      const r0 = await login(t.http, await registerUser(t.http));
      const r1 = (await refresh(r0.refreshToken).expect(200)).body;
      t.clock.advance(1_000);
      const r2 = (await refresh(r1.refreshToken).expect(200)).body;
      await me(r2).expect(200);
      const res = await refresh(r0.refreshToken).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      await me(r2).expect(401);
      await refresh(r2.refreshToken).expect(401);
      expect(await row(r0.sessionId)).toMatchObject({ end_reason: 'refresh_reuse' });
    });

    it('treats the just-rotated token after the grace as reuse', async () => {
      const r0 = await login(t.http, await registerUser(t.http));
      const r1 = (await refresh(r0.refreshToken).expect(200)).body;
      t.clock.advance(10_001);
      await refresh(r0.refreshToken).expect(401);
      await me(r1).expect(401);
      expect((await row(r0.sessionId)).end_reason).toBe('refresh_reuse');
    });

    it('advances the session exactly once for 20 parallel refreshes, all getting the same pair', async () => {
      const first = await login(t.http, await registerUser(t.http));
      const results = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refreshToken)));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const pairs = new Set(results.map((r) => `${r.body.accessToken} ${r.body.refreshToken}`));
      expect(pairs.size).toBe(1);
      expect(Number((await row(first.sessionId)).refresh_generation)).toBe(1);
      await me(results[0].body).expect(200);
    });

    it.each([
      ['a garbage token', 'nonsense'],
      ['a forged MAC', null],
    ])('answers 401 for %s and ends nothing', async (_, token) => {
      const first = await login(t.http, await registerUser(t.http));
      const forged = first.refreshToken.slice(0, -2) + (first.refreshToken.endsWith('AA') ? 'BB' : 'AA');
      await refresh(token ?? forged).expect(401);
      await me(first).expect(200);
      await refresh(first.refreshToken).expect(200);
    });

    // `{}` is no longer invalid: without a body token the refresh cookie is read (refresh-cookie.e2e-spec).
    it.each([
      { refreshToken: 42 },
      { refreshToken: '' },
      { refreshToken: 'x'.repeat(201) },
      { refreshToken: 'x', more: 1 },
    ])('answers 400 for %j', async (body) => {
      await t.http.post('/v1/auth/refresh').send(body).expect(400);
    });

    it('refuses the token of a session that was logged out', async () => {
      const first = await login(t.http, await registerUser(t.http));
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(first)).expect(204);
      await refresh(first.refreshToken).expect(401);
      expect((await row(first.sessionId)).end_reason).toBe('logout');
    });
  });

  describe('lifetimes', () => {
    it('expires an idle session and reports it as expired', async () => {
      const user = await registerUser(t.http);
      const idle = await login(t.http, user);
      t.clock.advance(14 * DAY + 1);
      await me(idle).expect(401);
      await refresh(idle.refreshToken).expect(401);
      const fresh = await login(t.http, user);
      const res = await t.http.get(`/v1/sessions/${idle.sessionId}`).set('Authorization', bearer(fresh)).expect(200);
      expect(res.body).toMatchObject({ status: 'expired', endReason: 'expired' });
      expect(Date.parse(res.body.endedAt) - Date.parse(res.body.lastActiveAt)).toBe(14 * DAY);
      const active = await t.http.get('/v1/sessions').set('Authorization', bearer(fresh)).expect(200);
      expect(active.body.map((s: { id: string }) => s.id)).toEqual([fresh.sessionId]);
    });

    it('never extends a session past its absolute lifetime, even when used and refreshed', async () => {
      const user = await registerUser(t.http);
      let pair = await login(t.http, user);
      const expiresAt = Date.parse((await me(pair).expect(200)).body.session.expiresAt);
      for (let week = 0; week < 4; week++) {
        t.clock.advance(7 * DAY);
        pair = (await refresh(pair.refreshToken).expect(200)).body;
      }
      const left = expiresAt - t.clock.now();
      expect(left).toBeGreaterThan(0);
      const claims = JSON.parse(Buffer.from(pair.accessToken.split('.')[1], 'base64url').toString());
      expect(claims.exp * 1000).toBeLessThanOrEqual(expiresAt);
      t.clock.advance(left);
      await me(pair).expect(401);
      await refresh(pair.refreshToken).expect(401);
      const other = await login(t.http, user);
      const res = await t.http.get(`/v1/sessions/${pair.sessionId}`).set('Authorization', bearer(other)).expect(200);
      expect(res.body).toMatchObject({
        status: 'expired',
        endReason: 'expired',
        endedAt: new Date(expiresAt).toISOString(),
      });
    });

    it('the sweep marks expired sessions and purges old history in batches, leaving active ones', async () => {
      const user = await registerUser(t.http);
      const stale = await login(t.http, user);
      const ended = await login(t.http, user);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(ended)).expect(204);
      t.clock.advance(91 * DAY);
      const live = await login(t.http, user);
      const sweeper = t.get(SessionsService);
      const first = await sweeper.sweep();
      expect(first.expired).toBeGreaterThanOrEqual(1);
      expect(first.purged).toBeGreaterThanOrEqual(1);
      expect(await row(ended.sessionId)).toBeUndefined();
      expect(await row(stale.sessionId)).toMatchObject({ end_reason: 'expired' });
      expect(Number((await row(stale.sessionId)).token_deleted)).toBe(1);
      expect(await row(live.sessionId)).toMatchObject({ end_reason: null });
      await me(live).expect(200);
      t.clock.advance(91 * DAY);
      const fresh = await login(t.http, user);
      await sweeper.sweep();
      expect(await row(stale.sessionId)).toBeUndefined();
      await me(fresh).expect(200);
    });
  });

  describe('password change', () => {
    it('ends every other session and keeps this one', async () => {
      const user = await registerUser(t.http);
      const here = await login(t.http, user);
      const phone = await login(t.http, user, { ua: UA.iphoneSafari });
      const pc = await login(t.http, user, { ua: UA.windowsFirefox });
      await t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(here))
        .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' })
        .expect(204);
      await me(here).expect(200);
      await me(phone).expect(401);
      await me(pc).expect(401);
      await refresh(phone.refreshToken).expect(401);
      const all = await t.http.get('/v1/sessions?status=all').set('Authorization', bearer(here)).expect(200);
      const ends = Object.fromEntries(
        all.body.map((s: { id: string; endReason: string; status: string }) => [s.id, `${s.status}/${s.endReason}`]),
      );
      expect(ends).toEqual({
        [here.sessionId]: 'active/null',
        [phone.sessionId]: 'logged_out/password_change',
        [pc.sessionId]: 'logged_out/password_change',
      });
      await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(401);
      await t.http.post('/v1/auth/login').send({ email: user.email, password: 'a brand new passphrase' }).expect(200);
    });

    it('answers 403 for a wrong current password and changes nothing', async () => {
      const user = await registerUser(t.http);
      const here = await login(t.http, user);
      const other = await login(t.http, user);
      const res = await t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(here))
        .send({ currentPassword: 'not my password', newPassword: 'a brand new passphrase' })
        .expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        code: 'invalid_credentials',
        error: 'Forbidden',
        message: 'Current password is wrong',
      });
      await me(other).expect(200);
      await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
    });

    it.each([
      { currentPassword: 'x', newPassword: 'short' },
      { currentPassword: 'x' },
      { newPassword: 'a brand new passphrase' },
      { currentPassword: 'x', newPassword: 'a brand new passphrase', extra: true },
      { currentPassword: 1, newPassword: 'a brand new passphrase' },
    ])('answers 400 for %j and changes nothing', async (body) => {
      const user = await registerUser(t.http);
      const here = await login(t.http, user);
      const other = await login(t.http, user);
      await t.http.post('/v1/users/me/password').set('Authorization', bearer(here)).send(body).expect(400);
      await me(other).expect(200);
    });
  });

  describe('admin', () => {
    beforeEach(() => t.dataSource.query("DELETE FROM users WHERE email = 'admin@example.com'"));

    it('lists and ends a user’s sessions; the user’s devices get 401 at once', async () => {
      const admin = await login(t.http, await registerAdmin(t, { email: 'admin@example.com' }));
      const user = await registerUser(t.http);
      const a = await login(t.http, user);
      const b = await login(t.http, user, { ua: UA.iphoneSafari });
      const list = await t.http
        .get(`/v1/admin/users/${user.id}/sessions`)
        .set('Authorization', bearer(admin))
        .expect(200);
      expect(list.body.map((s: { id: string; current: boolean }) => [s.id, s.current]).sort()).toEqual(
        [
          [a.sessionId, false],
          [b.sessionId, false],
        ].sort(),
      );
      const res = await t.http
        .delete(`/v1/admin/users/${user.id}/sessions`)
        .set('Authorization', bearer(admin))
        .expect(200);
      expect(res.body).toEqual({ revoked: 2 });
      await me(a).expect(401);
      await me(b).expect(401);
      const history = await t.http
        .get(`/v1/admin/users/${user.id}/sessions?status=all`)
        .set('Authorization', bearer(admin))
        .expect(200);
      expect(
        history.body.every(
          (s: { status: string; endReason: string }) => s.status === 'revoked' && s.endReason === 'admin',
        ),
      ).toBe(true);
      const again = await t.http
        .delete(`/v1/admin/users/${user.id}/sessions`)
        .set('Authorization', bearer(admin))
        .expect(200);
      expect(again.body).toEqual({ revoked: 0 });
    });

    it('answers 403 to a normal user, 404 for an unknown user, 400 for a bad id', async () => {
      const admin = await login(t.http, await registerAdmin(t, { email: 'admin@example.com' }));
      const user = await registerUser(t.http);
      const normal = await login(t.http, user);
      const res = await t.http
        .get(`/v1/admin/users/${user.id}/sessions`)
        .set('Authorization', bearer(normal))
        .expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      await t.http.delete(`/v1/admin/users/${user.id}/sessions`).set('Authorization', bearer(normal)).expect(403);
      await me(normal).expect(200);
      const unknown = '5f0c7c52-8d0e-4b4e-9a55-0b7a0d7b1c11';
      await t.http.get(`/v1/admin/users/${unknown}/sessions`).set('Authorization', bearer(admin)).expect(404);
      await t.http.delete(`/v1/admin/users/${unknown}/sessions`).set('Authorization', bearer(admin)).expect(404);
      await t.http.get('/v1/admin/users/nope/sessions').set('Authorization', bearer(admin)).expect(400);
      await t.http
        .get(`/v1/admin/users/${user.id}/sessions?status=bad`)
        .set('Authorization', bearer(admin))
        .expect(400);
    });
  });
});

describe.each(testDatabases)('session cap on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, { MAX_SESSIONS_PER_USER: '2' });
  });
  afterAll(() => t.close());
  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));

  it('ends the least recently active session when a login exceeds the cap', async () => {
    const user = await registerUser(t.http);
    const first = await login(t.http, user);
    t.clock.advance(61_000);
    const second = await login(t.http, user);
    t.clock.advance(61_000);
    await me(first).expect(200);
    await flushTouches(t);
    expect(await storedLastActive(t, first.sessionId)).toBe(t.clock.now());
    const third = await login(t.http, user);
    await me(second).expect(401);
    await me(first).expect(200);
    await me(third).expect(200);
    const ended = await t.http.get(`/v1/sessions/${second.sessionId}`).set('Authorization', bearer(third)).expect(200);
    expect(ended.body).toMatchObject({ status: 'revoked', endReason: 'session_limit' });
  });

  it('keeps the cap under concurrent logins', async () => {
    const user = await registerUser(t.http);
    await Promise.all(Array.from({ length: 6 }, () => login(t.http, user)));
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND token_deleted = ?',
      [user.id, false],
    );
    expect(Number(n)).toBe(2);
  });
});
