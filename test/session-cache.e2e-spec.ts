import { apiError } from '../src/common/api-error.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { ValidityCache } from '../src/sessions/validity-cache.js';
import { SessionsService } from '../src/sessions/sessions.service.js';
import { bearer, login, registerUser, TestUser } from './factories/users.js';
import { registerAdmin } from './factories/admin.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { flushTouches, storedLastActive } from './utils/sessions.js';

/**
 * One process with the validity cache on (SQLite by default, MySQL with SESSION_CACHE=local):
 * every way a session ends must be seen by the very next request, although that request
 * would otherwise be answered from the cache.
 */
describe.each(testDatabases)('session cache in one process on %s', (db) => {
  let t: TestApp;
  let cache: ValidityCache;
  beforeAll(async () => {
    t = await createTestApp(db, {
      SESSION_CACHE: db === 'mysql' ? 'local' : 'auto',
      MAX_SESSIONS_PER_USER: '3',
    });
    cache = t.get(ValidityCache);
  });
  afterAll(() => t.close());

  const me = (token: { accessToken: string }, status: number) =>
    t.http.get('/v1/auth/me').set('Authorization', bearer(token.accessToken)).expect(status);

  /** Logs in and makes sure the session is being answered from the cache. */
  async function cachedLogin(user: TestUser) {
    const pair = await login(t.http, user);
    await me(pair, 200);
    expect(cache.lookup(pair.sessionId, user.id, t.clock.now(), 60_000)).toBeDefined();
    return pair;
  }

  it('is on', () => expect(cache.mode).toBe('local'));

  it('logout: the next request is 401', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair)).expect(204);
    await me(pair, 401);
  });

  it('remote logout, revoke others and revoke all: the next request is 401', async () => {
    const user = await registerUser(t.http);
    const [a, b, c] = [await cachedLogin(user), await cachedLogin(user), await cachedLogin(user)];
    await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(204);
    await me(b, 401);
    await me(c, 200);
    await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(a)).expect(200);
    await me(c, 401);
    await me(a, 200);
    await t.http.delete('/v1/sessions?scope=all').set('Authorization', bearer(a)).expect(200);
    await me(a, 401);
  });

  it('GET /v1/auth/me from the cache: no read, same body as from the database, a renamed profile at once', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    const other = await cachedLogin(user);
    const fromCache = (await me(pair, 200)).body;
    expect(fromCache).toMatchObject({
      user: { id: user.id, email: user.email, roles: ['user'] },
      session: { id: pair.sessionId, current: true, status: 'active' },
    });
    // The same session as the device list (read from the database) shows it.
    const listed = (await t.http.get('/v1/sessions').set('Authorization', bearer(pair)).expect(200)).body.find(
      (s: { id: string }) => s.id === pair.sessionId,
    );
    expect(fromCache.session).toEqual(listed);
    await t.http
      .patch('/v1/users/me')
      .set('Authorization', bearer(other))
      .send({ name: 'Renamed Elsewhere' })
      .expect(200);
    expect((await me(pair, 200)).body.user.name).toBe('Renamed Elsewhere');
  });

  it('a profile change answers only after the eviction, and with its error when it fails', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    const down = apiError(503, 'service_unavailable', 'eviction not confirmed');
    const evict = jest.spyOn(cache, 'evict').mockRejectedValueOnce(down);
    try {
      const res = await t.http.patch('/v1/users/me').set('Authorization', bearer(pair)).send({ name: 'Late' });
      expect([res.status, res.body.code]).toEqual([503, 'service_unavailable']);
      expect(evict).toHaveBeenCalledWith({ userId: user.id }, true);
    } finally {
      evict.mockRestore();
    }
  });

  it('password change: the other sessions are 401 at once, this one stays', async () => {
    const user = await registerUser(t.http);
    const [a, b] = [await cachedLogin(user), await cachedLogin(user)];
    await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(a))
      .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' })
      .expect(204);
    await me(b, 401);
    await me(a, 200);
  });

  it('admin revoke-all: the next request is 401', async () => {
    const admin = await registerAdmin(t, { email: 'root@example.com' });
    const adminPair = await login(t.http, admin);
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    await t.http.delete(`/v1/admin/users/${user.id}/sessions`).set('Authorization', bearer(adminPair)).expect(200);
    await me(pair, 401);
  });

  it('refresh-token reuse ends the session: the next request is 401', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    t.clock.advance(t.config.session.refreshReuseGrace * 1000 + 1);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
    await me(pair, 401);
  });

  it('session limit: the oldest session is 401 as soon as the login that ended it returns', async () => {
    const user = await registerUser(t.http);
    const first = await cachedLogin(user);
    t.clock.advance(1);
    await cachedLogin(user);
    t.clock.advance(1);
    await cachedLogin(user);
    await me(first, 200);
    t.clock.advance(1);
    await login(t.http, user);
    await me(first, 401);
  });

  it('idle and absolute limits are checked on every cache hit', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    t.clock.advance(t.config.session.idleTtl * 1000);
    await me(pair, 401);
    expect(cache.lookup(pair.sessionId, user.id, t.clock.now(), 1)).toBeUndefined();
  });

  it('a cache hit still writes last_active_at once a minute, and the cache follows the write', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    t.clock.advance(61_000);
    await me(pair, 200);
    const lastActive = () => storedLastActive(t, pair.sessionId);
    // With the configured idle limit: a 60-s one would expire (and drop) the entry before the write lands.
    const cached = () =>
      cache.lookup(pair.sessionId, user.id, t.clock.now(), t.config.session.idleTtl * 1000)?.lastActiveAt;
    // The write is batched behind the request: write the batch now rather than wait for its window.
    await flushTouches(t);
    expect(await lastActive()).toBe(t.clock.now());
    expect(cached()).toBe(t.clock.now());
  });

  it('an erased user (sessions ended, then their rows deleted): the next request is 401', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    await t.get(TransactionRunner).run(async (em) => {
      await t.get(SessionsService).eraseUser(user.id, em);
      await em.query('DELETE FROM users WHERE id = ?', [user.id]);
    });
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
    expect(cache.lookup(pair.sessionId, user.id, t.clock.now(), 60_000)).toBeUndefined();
    await me(pair, 401);
  });

  it('the sweep evicts what it expires', async () => {
    const user = await registerUser(t.http);
    const pair = await cachedLogin(user);
    await t.dataSource.query('UPDATE sessions SET expires_at = ? WHERE id = ?', [t.clock.now() - 1, pair.sessionId]);
    await t.get(SessionsService).sweep();
    expect(cache.lookup(pair.sessionId, user.id, t.clock.now(), 60_000)).toBeUndefined();
    await me(pair, 401);
  });

  it('a token of another user for a cached session is not answered from the cache', async () => {
    const [u1, u2] = [await registerUser(t.http), await registerUser(t.http)];
    const pair = await cachedLogin(u1);
    expect(cache.lookup(pair.sessionId, u2.id, t.clock.now(), 60_000)).toBeUndefined();
  });
});

(testDatabases.includes('mysql') ? describe : describe.skip)('session cache on mysql without Redis', () => {
  it('is off unless SESSION_CACHE=local: several instances could not tell each other', async () => {
    const t = await createTestApp('mysql');
    try {
      expect(t.get(ValidityCache).mode).toBe('off');
      const user = await registerUser(t.http);
      const pair = await login(t.http, user);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
      expect(t.get(ValidityCache).size).toBe(0);
    } finally {
      await t.close();
    }
  });
});
