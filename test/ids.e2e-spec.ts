import { setTimeout as sleep } from 'node:timers/promises';
import { ValidityCache } from '../src/sessions/validity-cache.js';
import { RedisValidityCache } from '../src/sessions/validity-cache.redis.js';
import { bearer, login, registerUser, TestUser, TokenPair } from './factories/users.js';
import { grantAdmin } from './factories/admin.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { freePort, startRedis } from './utils/redis-server.js';

/** The spellings of one id the API must treat as that id (SPEC "Identifiers and errors"). */
const SPELLINGS: [string, (id: string) => string][] = [
  ['lower', (id) => id],
  ['UPPER', (id) => id.toUpperCase()],
  // Every other letter upper-cased: both cases in one id, whatever its digits.
  ['MiXeD', (id) => [...id].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')],
];

/** The cache is on by default on SQLite, and with SESSION_CACHE=local on MySQL without Redis. */
const CACHE_SETTINGS = testDatabases.flatMap((db): [string, string, Record<string, string>, string][] => [
  [db, 'cache on', db === 'mysql' ? { SESSION_CACHE: 'local' } : {}, 'local'],
  [db, 'cache off', db === 'mysql' ? {} : { SESSION_CACHE: 'off' }, 'off'],
]);

/**
 * Every route that takes an id, with the id in every letter case, with and without the session
 * cache, on each database: the same id everywhere — a revoked token is refused on its very next
 * request, another user's id is 404 in any case, answers carry the lower-case id (ASVS 5.0 8.2.2).
 */
describe.each(CACHE_SETTINGS)('ids in any letter case on %s, %s', (db, _, env, mode) => {
  let t: TestApp;
  let admin: TokenPair;
  beforeAll(async () => {
    t = await createTestApp(db as 'sqlite' | 'mysql', env);
    const root = await registerUser(t.http);
    await grantAdmin(t, root.email);
    admin = await login(t.http, root);
  });
  afterAll(() => t.close());

  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));

  /** A user with two sessions, each answered once (so a cache holds them). */
  async function twoDevices(): Promise<{ user: TestUser; here: TokenPair; there: TokenPair }> {
    const user = await registerUser(t.http);
    const [here, there] = [await login(t.http, user), await login(t.http, user)];
    for (const pair of [here, there]) await me(pair).expect(200);
    return { user, here, there };
  }

  it(`runs with the cache ${mode}`, () => expect(t.get(ValidityCache).mode).toBe(mode));

  it.each(SPELLINGS)(
    'GET /v1/sessions/:id in %s: 200 with the lower-case id; another user’s is 404',
    async (_, spell) => {
      const { here, there } = await twoDevices();
      const res = await t.http
        .get(`/v1/sessions/${spell(there.sessionId)}`)
        .set('Authorization', bearer(here))
        .expect(200);
      expect(res.body).toMatchObject({ id: there.sessionId, current: false, status: 'active' });
      const self = await t.http
        .get(`/v1/sessions/${spell(here.sessionId)}`)
        .set('Authorization', bearer(here))
        .expect(200);
      expect(self.body).toMatchObject({ id: here.sessionId, current: true });
      const stranger = await twoDevices();
      const res404 = await t.http
        .get(`/v1/sessions/${spell(there.sessionId)}`)
        .set('Authorization', bearer(stranger.here));
      expect(res404.status).toBe(404);
      expect(res404.body.code).toBe('not_found');
    },
  );

  it.each(SPELLINGS)(
    'DELETE /v1/sessions/:id in %s: the revoked token is 401 on its next request',
    async (_, spell) => {
      const { here, there } = await twoDevices();
      const stranger = await twoDevices();
      const foreign = await t.http
        .delete(`/v1/sessions/${spell(there.sessionId)}`)
        .set('Authorization', bearer(stranger.here));
      expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 404, code: 'not_found' });
      await me(there).expect(200);
      await t.http
        .delete(`/v1/sessions/${spell(there.sessionId)}`)
        .set('Authorization', bearer(here))
        .expect(204);
      expect((await me(there).expect(401)).body.code).toBe('session_ended');
      await me(here).expect(200);
      const [row] = await t.dataSource.query('SELECT end_reason FROM sessions WHERE id = ?', [there.sessionId]);
      expect(row.end_reason).toBe('remote_logout');
      // Its own id in another case is the current session: `logout`, and this token is refused next.
      await t.http
        .delete(`/v1/sessions/${spell(here.sessionId)}`)
        .set('Authorization', bearer(here))
        .expect(204);
      await me(here).expect(401);
      const [own] = await t.dataSource.query('SELECT end_reason FROM sessions WHERE id = ?', [here.sessionId]);
      expect(own.end_reason).toBe('logout');
    },
  );

  it.each(SPELLINGS)('GET /v1/admin/users/:id/sessions in %s: the lower-case ids; unknown → 404', async (_, spell) => {
    const { user, here, there } = await twoDevices();
    const res = await t.http.get(`/v1/admin/users/${spell(user.id)}/sessions`).set('Authorization', bearer(admin));
    expect(res.status).toBe(200);
    expect(res.body.map((s: { id: string }) => s.id).sort()).toEqual([here.sessionId, there.sessionId].sort());
    const unknown = await t.http
      .get(`/v1/admin/users/${spell('0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b')}/sessions`)
      .set('Authorization', bearer(admin));
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'not_found' });
  });

  it.each(SPELLINGS)('DELETE /v1/admin/users/:id/sessions in %s: every token is 401 next', async (_, spell) => {
    const { user, here, there } = await twoDevices();
    const res = await t.http.delete(`/v1/admin/users/${spell(user.id)}/sessions`).set('Authorization', bearer(admin));
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { revoked: 2 } });
    for (const pair of [here, there]) expect((await me(pair).expect(401)).body.code).toBe('session_ended');
    const unknown = await t.http
      .delete(`/v1/admin/users/${spell('0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b')}/sessions`)
      .set('Authorization', bearer(admin));
    expect(unknown.status).toBe(404);
  });

  it.each([
    ['not a UUID', 'not-a-uuid'],
    ['36 nines', '9'.repeat(36)],
    ['a UUID with a trailing space', '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b%20'],
    ['braces', '%7B0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b%7D'],
    ['no dashes', '0b6f7c1e3d5a4a8e9f0e1c2d3e4f5a6b'],
    ['a 2,000-character id', 'a'.repeat(2000)],
    ['broken percent-encoding', '%zz0b6f7c1e-3d5a-4a8e-9f0e'],
  ])('refuses %s with 400 validation_failed, without echoing it', async (_, id) => {
    const { here } = await twoDevices();
    for (const path of [`/v1/sessions/${id}`, `/v1/admin/users/${id}/sessions`]) {
      for (const method of ['get', 'delete'] as const) {
        const res = await t.http[method](path).set('Authorization', bearer(path.includes('admin') ? admin : here));
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
        expect(res.headers['cache-control']).toBe('no-store');
        expect(JSON.stringify(res.body)).not.toContain(id.slice(0, 12));
      }
    }
  });
});

/** Two instances, each its own cache, evicting each other over Redis: an upper-case revoke on A ends the session on B. */
(testDatabases.includes('mysql') ? describe : describe.skip)('ids in any letter case, two instances with Redis', () => {
  jest.setTimeout(30_000);
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await startRedis(await freePort());
    a = await createTestApp('mysql', { REDIS_URL: redis.url });
    b = await createTestApp('mysql', { REDIS_URL: redis.url }, { keepData: true });
    const leased = (t: TestApp) => (t.get(ValidityCache) as RedisValidityCache).leased;
    while (!leased(a) || !leased(b)) await sleep(10);
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await redis?.kill();
  });

  it.each(SPELLINGS)('DELETE /v1/sessions/:id in %s through A: B refuses the token next', async (_, spell) => {
    const user = await registerUser(a.http);
    const [here, there] = [await login(a.http, user), await login(a.http, user)];
    await b.http.get('/v1/auth/me').set('Authorization', bearer(there)).expect(200);
    await a.http.get('/v1/auth/me').set('Authorization', bearer(there)).expect(200);
    await a.http
      .delete(`/v1/sessions/${spell(there.sessionId)}`)
      .set('Authorization', bearer(here))
      .expect(204);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(there)).expect(401);
    await a.http.get('/v1/auth/me').set('Authorization', bearer(there)).expect(401);
  });

  it.each(SPELLINGS)(
    'DELETE /v1/admin/users/:id/sessions in %s through A: B refuses the tokens next',
    async (_, spell) => {
      const root = await registerUser(a.http);
      await grantAdmin(a, root.email);
      const admin = await login(a.http, root);
      const user = await registerUser(a.http);
      const pair = await login(a.http, user);
      await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
      await a.http
        .delete(`/v1/admin/users/${spell(user.id)}/sessions`)
        .set('Authorization', bearer(admin))
        .expect(200);
      await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(401);
    },
  );
});
