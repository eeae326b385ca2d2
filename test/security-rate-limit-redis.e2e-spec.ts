import { randomInt } from 'node:crypto';
import { registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { expect429, randomIp } from './utils/rate-limit.js';
import { freePort, startRedis } from './utils/redis-server.js';

const redisUrl = process.env.TEST_REDIS_URL;
const withRedis = redisUrl ? describe : describe.skip;
const LIMITS = { RATE_LIMIT_PER_IP: '3', LOGIN_FAILURES_PER_ACCOUNT: '3' };

/** Two app instances on one Redis: the limits hold across them (SPEC Scale; ASVS 6.3.5 / V2 2.2.1). */
withRedis('rate limits in Redis, shared by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      createTestApp('sqlite', { ...LIMITS, REDIS_URL: redisUrl! }),
      createTestApp('sqlite', { ...LIMITS, REDIS_URL: redisUrl! }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('counts one client IP across both instances', async () => {
    const ip = randomIp();
    const hit = (app: TestApp) =>
      app.http.post('/v1/auth/register').set('X-Forwarded-For', ip).send({ email: 'bad', password: 'x' });
    for (const app of [a, b, a]) expect((await hit(app)).status).toBe(400);
    expect429(await hit(b));
    expect429(await hit(a));
  });

  it('locks an account across both instances', async () => {
    const email = `shared.${randomInt(1e9)}@example.com`;
    for (const app of [a, b, a])
      await app.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email, password: 'wrong password' })
        .expect(401);
    expect429(
      await b.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email, password: 'wrong password' }),
    );
  });

  it('a success neither resets nor counts, on every instance (SPEC: a success does not reset it)', async () => {
    // From its own IP: other suites on this Redis register from loopback, against the same low limit.
    const user = await registerUser(a.http, {}, randomIp());
    const wrong = (app: TestApp) =>
      app.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: 'wrong password' });
    const right = (app: TestApp) =>
      app.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password });
    await wrong(a).expect(401);
    await wrong(b).expect(401);
    // Each instance has its own in-memory SQLite: the account lives on A, while B's failures count against its email.
    await right(a).expect(200);
    await right(a).expect(200);
    await wrong(b).expect(401);
    expect429(await right(a));
  });
});

/** With Redis gone the limits cannot be checked: login answers 503, it does not skip the limit (fail closed). */
withRedis('rate limits when Redis goes away', () => {
  let port: number;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let t: TestApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await createTestApp('sqlite', { ...LIMITS, REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.kill();
  });

  it('answers 503 on login, register and refresh while Redis is down, and recovers', async () => {
    const user = await registerUser(t.http);
    await redis.kill();
    for (const [path, body] of [
      ['/v1/auth/login', { email: user.email, password: user.password }],
      ['/v1/auth/register', { email: 'during.outage@example.com', password: 'correct horse battery staple' }],
      ['/v1/auth/refresh', { refreshToken: 'x' }],
    ] as const) {
      const res = await t.http.post(path).set('X-Forwarded-For', randomIp()).send(body);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        code: 'service_unavailable',
        error: 'Service Unavailable',
        message: expect.any(String),
      });
    }
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions');
    expect(Number(n)).toBe(0);
    redis = await startRedis(port);
    // ioredis reconnects on its own schedule; poll the app until it does (bounded).
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (
        await t.http
          .post('/v1/auth/login')
          .set('X-Forwarded-For', randomIp())
          .send({ email: user.email, password: user.password })
      ).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  }, 30_000);
});
