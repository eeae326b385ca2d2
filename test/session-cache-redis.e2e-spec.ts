import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { ValidityCache } from '../src/sessions/validity-cache.js';
import { RedisValidityCache } from '../src/sessions/validity-cache.redis.js';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker, testDatabases } from './utils/databases.js';
import { hammer } from './utils/hammer.js';
import { freePort, startRedis } from './utils/redis-server.js';
import { SlowProxy, startSlowProxy } from './utils/slow-proxy.js';

const LEASE_MS = '600';

/**
 * Proof of exactness with two instances (two Nest apps, each its own cache and Redis
 * subscriber) on one MariaDB: while instance B is hammered with a session's token, the
 * session is revoked through instance A. No request to B that started after the revoke call
 * returned may be answered 200 — with Redis up, with Redis killed mid-run, with a slow database.
 */
(testDatabases.includes('mysql') ? describe : describe.skip)('session cache across two instances with Redis', () => {
  jest.setTimeout(30_000);
  let REDIS_PORT: number;
  beforeAll(async () => {
    REDIS_PORT = await freePort();
  });
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: TestApp;
  let b: TestApp;
  let proxy: SlowProxy | undefined;

  /** A and B; B (or both, with `slowA`) reaches the database through a proxy delaying `dbDelayMs` each way. */
  async function boot(dbDelayMs?: number, slowA = true) {
    redis = await startRedis(REDIS_PORT);
    const url = await mysqlUrlForWorker();
    let slowUrl = url;
    if (dbDelayMs !== undefined) {
      const u = new URL(url);
      proxy = await startSlowProxy({ host: u.hostname, port: Number(u.port || 3306) }, dbDelayMs);
      u.host = `127.0.0.1:${proxy.port}`;
      slowUrl = u.toString();
    }
    const env = { REDIS_URL: redis.url, SESSION_CACHE_LEASE_MS: LEASE_MS };
    a = await createTestApp('mysql', { ...env, DATABASE_URL: slowA ? slowUrl : url });
    b = await createTestApp('mysql', { ...env, DATABASE_URL: slowUrl });
    await b.app.listen(0, '127.0.0.1');
    const leased = (t: TestApp) => (t.get(ValidityCache) as RedisValidityCache).leased;
    while (!leased(a) || !leased(b)) await sleep(10);
  }

  afterEach(async () => {
    proxy?.release();
    await Promise.allSettled([a?.close(), b?.close()]);
    await proxy?.close();
    proxy = undefined;
    await redis?.kill();
  });

  /** Hammers B, runs `beforeRevoke`, revokes through A, keeps hammering; returns what B answered after. */
  async function revokeUnderLoad(beforeRevoke: () => Promise<void> = async () => {}) {
    const user = await registerUser(a.http);
    const victim = await login(a.http, user);
    const other = await login(a.http, user);
    const port = (b.app.getHttpServer().address() as { port: number }).port;
    const load = hammer(`http://127.0.0.1:${port}/v1/auth/me`, bearer(victim));
    while (load.shots.filter((s) => s.status === 200).length < 20) await sleep(5);
    expect(b.get(ValidityCache).lookup(victim.sessionId, user.id, b.clock.now(), 60_000)).toBeDefined();
    await beforeRevoke();
    const revoke = await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(other));
    const returnedAt = performance.now();
    while (load.shots.filter((s) => s.start > returnedAt).length < 20) await sleep(5);
    const shots = await load.stop();
    const after = shots.filter((s) => s.start > returnedAt);
    const [row] = await a.dataSource.query('SELECT token_deleted FROM sessions WHERE id = ?', [victim.sessionId]);
    return {
      revoke,
      after,
      before: shots.filter((s) => s.end < returnedAt),
      ended: Number(row.token_deleted) === 1,
      victim,
      other,
    };
  }

  it('Redis up: the revoke call returns after B evicted; B never answers 200 after it', async () => {
    await boot();
    const { revoke, after, before, ended } = await revokeUnderLoad();
    expect(revoke.status).toBe(204);
    expect(ended).toBe(true);
    expect(before.some((s) => s.status === 200)).toBe(true);
    expect(after.filter((s) => s.status === 200)).toHaveLength(0);
    expect(after.every((s) => s.status === 401)).toBe(true);
  });

  it('Redis killed mid-run: B drops its lease and reads the database; A waits out the lease, then 204', async () => {
    await boot();
    const { revoke, after, ended } = await revokeUnderLoad(() => redis.kill());
    // Unconfirmed over Redis, but in the revocation log: once a lease has passed no cache can serve it.
    expect(revoke.status).toBe(204);
    expect(ended).toBe(true);
    expect((b.get(ValidityCache) as RedisValidityCache).leased).toBe(false);
    expect(after.filter((s) => s.status === 200)).toHaveLength(0);
    expect(after.every((s) => s.status === 401)).toBe(true);
  });

  it('slow database: lookups that began before the revocation do not re-fill B after it', async () => {
    await boot(15);
    const { revoke, after, ended } = await revokeUnderLoad();
    expect(revoke.status).toBe(204);
    expect(ended).toBe(true);
    expect(after.filter((s) => s.status === 200)).toHaveLength(0);
    expect(after.every((s) => s.status === 401)).toBe(true);
  });

  it('a lookup on B that read the row before the revocation committed does not re-fill B after it', async () => {
    await boot(0, false);
    const user = await registerUser(a.http);
    const [victim, other] = [await login(a.http, user), await login(a.http, user)];
    await a.http.get('/v1/auth/me').set('Authorization', bearer(other)).expect(200);
    proxy!.hold();
    const stalled = b.http
      .get('/v1/auth/me')
      .set('Authorization', bearer(victim))
      .then((r) => r.status);
    // The row has been read (the answer is waiting in the proxy) before the revocation starts.
    while (proxy!.heldCount === 0) await sleep(5);
    const revoke = await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(other));
    expect(revoke.body).toEqual({});
    expect(revoke.status).toBe(204);
    proxy!.release();
    // It started before the revocation returned, so either answer is allowed; what matters is after.
    expect([200, 401]).toContain(await stalled);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(victim)).expect(401);
  });

  it(
    'user-wide revocations through A (revoke others, password change in a transaction) are 401 on B at ' + 'once',
    async () => {
      await boot();
      const user = await registerUser(a.http);
      const [keep, x, y] = [await login(a.http, user), await login(a.http, user), await login(a.http, user)];
      const onB = (pair: { accessToken: string }) =>
        b.http.get('/v1/auth/me').set('Authorization', bearer(pair.accessToken));
      for (const pair of [keep, x]) await onB(pair).expect(200);
      expect(b.get(ValidityCache).size).toBe(2);
      await a.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(keep)).expect(200);
      await onB(x).expect(401);
      await onB(y).expect(401);
      await onB(keep).expect(200);
      const z = await login(a.http, user);
      await onB(z).expect(200);
      await a.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(keep))
        .send({ currentPassword: user.password, newPassword: 'another long passphrase' })
        .expect(204);
      await onB(z).expect(401);
      await onB(keep).expect(200);
    },
  );

  it(
    'a profile change through A shows in GET /v1/auth/me on B at once (B answered it from its cache ' + 'before)',
    async () => {
      await boot();
      const user = await registerUser(a.http);
      const pair = await login(a.http, user);
      const onB = () => b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
      await onB();
      expect(b.get(ValidityCache).lookup(pair.sessionId, user.id, b.clock.now(), 60_000)?.me?.[0]).toMatch(
        /"name":"User \d+"/,
      );
      await a.http.patch('/v1/users/me').set('Authorization', bearer(pair)).send({ name: 'Renamed On A' }).expect(200);
      expect((await onB()).body.user.name).toBe('Renamed On A');
    },
  );

  it('an instance booted while Redis was down reads the database, then gets its lease once Redis is up', async () => {
    await boot();
    // Log in while Redis is up: login and register are rate-limited through Redis and answer 503 without it.
    const user = await registerUser(a.http);
    const pair = await login(a.http, user);
    await redis.kill();
    await b.close();
    b = await createTestApp('mysql', { REDIS_URL: redis.url, SESSION_CACHE_LEASE_MS: LEASE_MS }, { keepData: true });
    const invalidation = b.get(ValidityCache) as RedisValidityCache;
    await b.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(503);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect(invalidation.leased).toBe(false);
    expect(invalidation.size).toBe(0);
    redis = await startRedis(REDIS_PORT);
    while (!invalidation.leased) await sleep(10);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect(invalidation.size).toBe(1);
  });

  it('after an unconfirmed revocation, retrying it once Redis is back confirms it (204)', async () => {
    await boot();
    const { revoke, victim, other } = await revokeUnderLoad(() => redis.kill());
    expect(revoke.status).toBe(204);
    redis = await startRedis(REDIS_PORT);
    const leased = (t: TestApp) => (t.get(ValidityCache) as RedisValidityCache).leased;
    while (!leased(a) || !leased(b)) await sleep(10);
    await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(other)).expect(204);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(victim)).expect(401);
  });
});
