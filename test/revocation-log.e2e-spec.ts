import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { ValidityCache } from '../src/sessions/validity-cache.js';
import { RedisValidityCache } from '../src/sessions/validity-cache.redis.js';
import { bearer, login, registerUser, type TokenPair } from './factories/users.js';
import { startService } from './utils/built-service.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker } from './utils/databases.js';
import { hammer, type Shot } from './utils/hammer.js';
import { TcpProxy } from './utils/tcp-proxy.js';

const LEASE_MS = 600;
const both = process.env.TEST_MYSQL_URL && process.env.TEST_REDIS_URL ? describe : describe.skip;

/**
 * Issue 19.1 / 16.5: the database, not the revoking process, is the source of the eviction.
 * Two instances on one MariaDB and one Redis, each through its own proxy; instance B is
 * hammered with a session's token while the session is revoked through instance A, and A then
 * fails in one of three ways after the commit. Whatever A does, no request to B that starts
 * more than one lease after the commit is answered 200.
 */
both('a committed revocation reaches every cache within one lease, whatever fails after the commit', () => {
  const proxies: TcpProxy[] = [];
  const apps: TestApp[] = [];

  afterEach(async () => {
    await Promise.allSettled(apps.splice(0).map((t) => t.close()));
    await Promise.allSettled(proxies.splice(0).map((p) => p.stop()));
  });

  /** `url` reached through a TCP proxy of its own, which the test can cut. */
  async function behindProxy(raw: string): Promise<{ proxy: TcpProxy; url: string }> {
    const url = new URL(raw);
    const proxy = new TcpProxy(url.hostname, Number(url.port || (url.protocol === 'redis:' ? 6379 : 3306)));
    proxies.push(proxy);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    return { proxy, url: url.toString() };
  }

  async function instance(env: Record<string, string>, keepData: boolean): Promise<TestApp> {
    const t = await createTestApp('mysql', { SESSION_CACHE_LEASE_MS: String(LEASE_MS), ...env }, { keepData });
    apps.push(t);
    await t.app.listen(0, '127.0.0.1');
    return t;
  }

  const leased = (t: TestApp) => (t.get(ValidityCache) as RedisValidityCache).leased;
  const port = (t: TestApp) => (t.app.getHttpServer().address() as { port: number }).port;

  /** When the ending is first seen committed (an upper bound of the commit's moment). */
  async function committedAt(ds: DataSource, sessionId: string): Promise<number> {
    for (;;) {
      const [row] = await ds.query<{ token_deleted: number }[]>('SELECT token_deleted FROM sessions WHERE id = ?', [
        sessionId,
      ]);
      if (Number(row.token_deleted) === 1) return performance.now();
      await sleep(2);
    }
  }

  /** Hammers B with the victim's token until B serves it from its cache; returns the load. */
  async function loadB(b: TestApp, userId: string, victim: TokenPair) {
    const load = hammer(`http://127.0.0.1:${port(b)}/v1/auth/me`, bearer(victim));
    while (load.shots.filter((s) => s.status === 200).length < 20) await sleep(5);
    expect(b.get(ValidityCache).lookup(victim.sessionId, userId, b.clock.now(), 60_000)).toBeDefined();
    return load;
  }

  /** Lets B run on past one lease after the commit, then returns what it answered. */
  async function after(load: ReturnType<typeof hammer>, commit: number): Promise<Shot[]> {
    while (load.shots.filter((s) => s.start > commit + LEASE_MS).length < 30) await sleep(10);
    return load.stop();
  }

  function expectNoStale(shots: Shot[], commit: number): void {
    const late = shots.filter((s) => s.start > commit + LEASE_MS);
    expect(late.length).toBeGreaterThanOrEqual(30);
    expect(late.filter((s) => s.status === 200)).toHaveLength(0);
    expect(late.every((s) => s.status === 401)).toBe(true);
  }

  it('the revoking instance alone is cut off from Redis: it answers 204 after a lease; B evicts from the log', async () => {
    const redisA = await behindProxy(process.env.TEST_REDIS_URL!);
    const redisB = await behindProxy(process.env.TEST_REDIS_URL!);
    const a = await instance({ REDIS_URL: redisA.url }, false);
    const b = await instance({ REDIS_URL: redisB.url }, true);
    while (!leased(a) || !leased(b)) await sleep(10);
    const user = await registerUser(a.http);
    const [victim, other] = [await login(a.http, user), await login(a.http, user)];
    const load = await loadB(b, user.id, victim);

    await redisA.proxy.cut();
    const commit = committedAt(b.dataSource, victim.sessionId);
    const revoke = await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(other));
    expect(revoke.status).toBe(204);
    const shots = await after(load, await commit);
    expectNoStale(shots, await commit);
    // B kept its Redis lease throughout: the log, not a lapse, took the session out of its cache.
    expect(leased(b)).toBe(true);
    await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(victim)).expect(401);
  });

  it('the revoking instance is killed with kill -9 between its commit and its publish', async () => {
    const redisA = await behindProxy(process.env.TEST_REDIS_URL!);
    const b = await instance({ REDIS_URL: process.env.TEST_REDIS_URL! }, false);
    const a = await startService({
      DATABASE_URL: await mysqlUrlForWorker(),
      REDIS_URL: redisA.url,
      SESSION_CACHE_LEASE_MS: String(LEASE_MS),
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_IP: '100000',
    });
    try {
      await a.line(/listening on/);
      const user = await registerUser(b.http);
      const [victim, other] = [await login(b.http, user), await login(b.http, user)];
      while (!leased(b)) await sleep(10);
      const load = await loadB(b, user.id, victim);

      // Cut from Redis, A can only publish after it has waited out the lease: it dies before.
      await redisA.proxy.cut();
      const revoke = fetch(`${a.base}/v1/sessions/${victim.sessionId}`, {
        method: 'DELETE',
        headers: { authorization: bearer(other) },
      }).catch(() => null);
      const commit = await committedAt(b.dataSource, victim.sessionId);
      a.child.kill('SIGKILL');
      expect(await revoke).toBeNull();
      const shots = await after(load, commit);
      expectNoStale(shots, commit);
      expect(leased(b)).toBe(true);
    } finally {
      a.child.kill('SIGKILL');
      await a.exited;
    }
  });

  it("the database's reply to the commit is lost: A answers 503, B evicts from the log", async () => {
    const dbA = await behindProxy(await mysqlUrlForWorker());
    const a = await instance({ REDIS_URL: process.env.TEST_REDIS_URL!, DATABASE_URL: dbA.url }, false);
    const b = await instance({ REDIS_URL: process.env.TEST_REDIS_URL! }, true);
    while (!leased(a) || !leased(b)) await sleep(10);
    const user = await registerUser(a.http);
    const [victim, other] = [await login(a.http, user), await login(a.http, user)];
    const load = await loadB(b, user.id, victim);

    const lost = dbA.proxy.loseReplyTo('COMMIT');
    const commit = committedAt(b.dataSource, victim.sessionId);
    const revoke = await a.http.delete(`/v1/sessions/${victim.sessionId}`).set('Authorization', bearer(other));
    await lost;
    expect(revoke.status).toBe(503);
    expect(revoke.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const shots = await after(load, await commit);
    expectNoStale(shots, await commit);
    expect(leased(b)).toBe(true);
  });
});
