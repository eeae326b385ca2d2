import { randomInt } from 'node:crypto';
import { bearer, login, registerUser, TokenPair } from './factories/users.js';
import { BarrierAnswer, countStatuses, releaseTogether } from './utils/barrier.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

const redisUrl = process.env.TEST_REDIS_URL;
const PER_ACCOUNT = 10;
const PER_IP = 40;

/** SQLite and MariaDB with in-memory counters; MariaDB with the counters (and the session cache) in Redis. */
const SETUPS: [string, 'sqlite' | 'mysql', Record<string, string>][] = [
  ...testDatabases.map((db): [string, 'sqlite' | 'mysql', Record<string, string>] => [db, db, {}]),
  ...(redisUrl && testDatabases.includes('mysql')
    ? [['mysql + Redis', 'mysql', { REDIS_URL: redisUrl }] as [string, 'mysql', Record<string, string>]]
    : []),
];

/**
 * Every limit and credential check under a barrier: N requests released at once, outcomes
 * counted. The lockout counts before it checks (increment, then decide), so a burst gets exactly
 * the limit's worth of password checks, never one more (SPEC "Identifiers and errors"; ASVS 5.0
 * 6.3.1, 2.4.1).
 */
describe.each(SETUPS)('limits under a barrier on %s', (_, db, env) => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp(db, {
      ...env,
      LOGIN_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT),
      RATE_LIMIT_PER_IP: String(PER_IP),
    });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => {
    // Every key these tests write is per random IP or email, and expires with its window.
    await t.close();
  });

  /** Login attempts of a user the audit recorded with this outcome. */
  const audited = async (userId: string, outcome: string) => {
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) AS n FROM login_audit WHERE user_id = ? AND outcome = ?',
      [userId, outcome],
    );
    return Number(n);
  };
  const logins = (email: string, n: number, ip: () => string) =>
    Array.from({ length: n }, (_, i) => ({
      method: 'POST',
      path: '/v1/auth/login',
      headers: { 'X-Forwarded-For': ip() },
      body: { email, password: `wrong guess ${i}` },
    }));
  const changes = (pair: TokenPair, n: number, ip: () => string) =>
    Array.from({ length: n }, (_, i) => ({
      method: 'POST',
      path: '/v1/users/me/password',
      headers: { 'X-Forwarded-For': ip(), Authorization: bearer(pair) },
      body: { currentPassword: `wrong guess ${i}`, newPassword: 'a completely new passphrase' },
    }));
  const every429IsLocked = (answers: BarrierAnswer[]) => {
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.body).toMatchObject({ code: 'rate_limited' });
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  };

  it(`30 wrong logins at once from one IP: exactly ${PER_ACCOUNT} password checks; then the right password is 429`, async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const ip = randomIp();
    const answers = await releaseTogether(
      port,
      logins(user.email, 30, () => ip),
    );
    expect(countStatuses(answers)).toEqual({ 401: PER_ACCOUNT, 429: 30 - PER_ACCOUNT });
    every429IsLocked(answers);
    expect(await audited(user.id, 'invalid_credentials')).toBe(PER_ACCOUNT);
    expect(await audited(user.id, 'locked')).toBe(30 - PER_ACCOUNT);
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password }),
    );
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
  });

  it('an unknown email locks the same way (the limit reveals nothing about accounts)', async () => {
    const ip = randomIp();
    const answers = await releaseTogether(
      port,
      logins(`ghost.${randomInt(1e9)}@example.com`, 30, () => ip),
    );
    expect(countStatuses(answers)).toEqual({ 401: PER_ACCOUNT, 429: 30 - PER_ACCOUNT });
  });

  it(`300 wrong current passwords at once (one stolen token, 300 IPs): exactly ${PER_ACCOUNT} checked`, async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const pair = await login(t.http, user, { ip: randomIp() });
    const [{ password_hash: hashBefore }] = await t.dataSource.query('SELECT password_hash FROM users WHERE id = ?', [
      user.id,
    ]);
    const answers = await releaseTogether(port, changes(pair, 300, randomIp));
    expect(countStatuses(answers)).toEqual({ 403: PER_ACCOUNT, 429: 300 - PER_ACCOUNT });
    every429IsLocked(answers);
    const right = await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(pair))
      .set('X-Forwarded-For', randomIp())
      .send({ currentPassword: user.password, newPassword: 'a completely new passphrase' });
    expect429(right);
    const [{ password_hash: hashAfter }] = await t.dataSource.query('SELECT password_hash FROM users WHERE id = ?', [
      user.id,
    ]);
    expect(hashAfter).toBe(hashBefore);
  });

  it('logins and password changes of one account at once share the one counter', async () => {
    const user = await registerUser(t.http, {}, randomIp());
    const pair = await login(t.http, user, { ip: randomIp() });
    const answers = await releaseTogether(port, [...logins(user.email, 15, randomIp), ...changes(pair, 15, randomIp)]);
    const counts = countStatuses(answers);
    expect((counts[401] ?? 0) + (counts[403] ?? 0)).toBe(PER_ACCOUNT);
    expect(counts[429]).toBe(30 - PER_ACCOUNT);
  });

  it(`60 logins at once from one IP (other emails each): exactly ${PER_IP} pass the per-IP limit`, async () => {
    const ip = randomIp();
    const answers = await releaseTogether(
      port,
      Array.from({ length: 60 }, (_, i) => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: { 'X-Forwarded-For': ip },
        body: { email: `per.ip.${i}.${randomInt(1e9)}@example.com`, password: 'wrong guess' },
      })),
    );
    expect(countStatuses(answers)).toEqual({ 401: PER_IP, 429: 60 - PER_IP });
  });

  it(`60 password changes at once from one IP (six accounts): exactly ${PER_IP} pass the per-IP limit`, async () => {
    const ip = randomIp();
    const pairs = await Promise.all(
      Array.from({ length: 6 }, async () =>
        login(t.http, await registerUser(t.http, {}, randomIp()), { ip: randomIp() }),
      ),
    );
    const answers = await releaseTogether(
      port,
      pairs.flatMap((pair) => changes(pair, 10, () => ip)),
    );
    expect(countStatuses(answers)).toEqual({ 403: PER_IP, 429: 60 - PER_IP });
  });
});
