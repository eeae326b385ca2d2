import { randomInt } from 'node:crypto';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

/** Per-IP and per-account limits with in-memory counters (ASVS 6.3.5 / V2 2.2.1; SPEC rate limits). */
describe.each(testDatabases)('rate limits in memory on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, {
      RATE_LIMIT_PER_IP: '3',
      RATE_LIMIT_WINDOW: '60',
      LOGIN_FAILURES_PER_ACCOUNT: '3',
      LOGIN_FAILURES_WINDOW: '900',
    });
  });
  afterAll(() => t.close());

  it.each([
    // A new email each time for login, so the per-account limit stays out of the way.
    [
      'login',
      '/v1/auth/login',
      () => ({ email: `ip.limit.${randomInt(1e9)}@example.com`, password: 'whatever it is' }),
    ],
    ['register', '/v1/auth/register', () => ({ email: 'not-an-email', password: 'x' })],
    ['refresh', '/v1/auth/refresh', () => ({ refreshToken: 'not-a-token' })],
  ])('limits %s per client IP, with Retry-After; other IPs are unaffected', async (_, path, body) => {
    const me = randomIp();
    for (let i = 0; i < 3; i++)
      expect((await t.http.post(path).set('X-Forwarded-For', me).send(body())).status).not.toBe(429);
    const limited = await t.http.post(path).set('X-Forwarded-For', me).send(body());
    expect429(limited);
    // The throttler's own value (what is left of the 60 s window), not a generic one.
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(50);
    expect(
      (
        await t.http
          .post(path)
          .set('X-Forwarded-For', `198.51.100.${randomInt(1, 255)}`)
          .send(body())
      ).status,
    ).not.toBe(429);
  });

  it('limits password change per client IP, with Retry-After, whoever the token belongs to', async () => {
    const me = randomIp();
    const tokens = await Promise.all(
      [1, 2].map(async () => login(t.http, await registerUser(t.http, {}, randomIp()), { ip: randomIp() })),
    );
    const change = (i: number) =>
      t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(tokens[i % 2]))
        .set('X-Forwarded-For', me)
        .send({ currentPassword: `guess ${i}`, newPassword: 'a completely new passphrase' });
    for (let i = 0; i < 3; i++) await change(i).expect(403);
    expect429(await change(3));
  });

  it(
    'locks an account after LOGIN_FAILURES_PER_ACCOUNT failures, from any IP, even with the right password, ' +
      'until the window ends',
    async () => {
      const user = await registerUser(t.http, {}, randomIp());
      for (let i = 0; i < 3; i++)
        await t.http
          .post('/v1/auth/login')
          .set('X-Forwarded-For', randomIp())
          .send({ email: user.email, password: `wrong ${i} password` })
          .expect(401);
      expect429(
        await t.http
          .post('/v1/auth/login')
          .set('X-Forwarded-For', randomIp())
          .send({ email: user.email.toUpperCase(), password: user.password }),
      );
      const sessions = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
      expect(Number(sessions[0].n)).toBe(0);
      t.clock.advance(900_000);
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password })
        .expect(200);
    },
  );

  it('locks an unknown email the same way (the limit reveals nothing about accounts)', async () => {
    const email = `ghost.${Date.now()}@example.com`;
    for (let i = 0; i < 3; i++)
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email, password: 'wrong password' })
        .expect(401);
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email, password: 'wrong password' }),
    );
  });

  it('a success neither resets the failure count nor adds to it (SPEC: a success does not reset it)', async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const wrong = () =>
      t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: 'wrong password' });
    await wrong().expect(401);
    await wrong().expect(401);
    for (let i = 0; i < 3; i++) await login(t.http, user, { ip: randomIp() });
    await wrong().expect(401);
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password }),
    );
  });

  it('counts wrong current passwords and failed logins of one account in one counter', async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const pair = await login(t.http, user, { ip: randomIp() });
    const change = (currentPassword: string) =>
      t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(pair))
        .set('X-Forwarded-For', randomIp())
        .send({ currentPassword, newPassword: 'a completely new passphrase' });
    await change('guess number one').expect(403);
    await t.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', randomIp())
      .send({ email: user.email.toUpperCase(), password: 'wrong password' })
      .expect(401);
    await change('guess number two').expect(403);
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password }),
    );
    expect429(await change(user.password));
  });

  it('limits wrong current passwords on password change per account (a stolen token cannot guess the password)', async () => {
    const user = await registerUser(t.http, {}, randomIp());
    let pair = await login(t.http, user, { ip: randomIp() });
    const change = (currentPassword: string) =>
      t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(pair))
        .set('X-Forwarded-For', randomIp())
        .send({ currentPassword, newPassword: 'a completely new passphrase' });
    for (let i = 0; i < 3; i++) await change(`guess number ${i}`).expect(403);
    expect429(await change(user.password));
    t.clock.advance(900_000);
    pair = await login(t.http, user, { ip: randomIp() }); // the access token expired with the window
    await change(user.password).expect(204);
  });
});
