import { LinkTokens } from '../src/auth/link-tokens.js';
import { registerAdmin } from './factories/admin.js';
import { bearer, login, registerUser, TestUser, TokenPair } from './factories/users.js';
import { BarrierAnswer, BarrierRequest, releaseTogether } from './utils/barrier.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { randomIp } from './utils/rate-limit.js';

const redisUrl = process.env.TEST_REDIS_URL;
const NEW_PASSWORD = 'a completely new passphrase';
const LOGINS = 12;
const ROUNDS = 4;

type Setup = [string, 'sqlite' | 'mysql', Record<string, string>];
/** SQLite and MariaDB (cache off, and the local cache); MariaDB with Redis (the session cache on every instance). */
const SETUPS: Setup[] = [
  ...testDatabases.map((db): Setup => [db, db, {}]),
  ...(testDatabases.includes('mysql')
    ? [['mysql + local cache + session cap', 'mysql', { SESSION_CACHE: 'local', MAX_SESSIONS_PER_USER: '50' }] as Setup]
    : []),
  ...(redisUrl && testDatabases.includes('mysql')
    ? [['mysql + Redis', 'mysql', { REDIS_URL: redisUrl }] as Setup]
    : []),
];

/**
 * A password change or reset wins every race (SPEC Part 2, "Identifiers and errors"; ASVS 5.0
 * 7.4.3): logins with the old password released together with the change either are refused or
 * leave a session the change ended. After the change's 204, no session made with the old password
 * is live in the database, and none of their tokens is accepted or refreshes. No answer is a 500
 * (a deadlock is retried, issue 13 item 10). An admin's disable wins the same way: logins with
 * the right password released with it are 403 `account_disabled` or leave a session it ended.
 */
describe.each(SETUPS)('a new password against logins in flight on %s', (_, db, env) => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let port: number;
  let admin: TokenPair;
  beforeAll(async () => {
    t = await createTestApp(db, { ...env, LOGIN_FAILURES_PER_ACCOUNT: '100000' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
    admin = await login(t.http, await registerAdmin(t), { ip: randomIp() });
  });
  afterAll(async () => {
    // Every key these tests write is per random IP or email, and expires with its window.
    await t.close();
  });

  const logins = (user: TestUser): BarrierRequest[] =>
    Array.from({ length: LOGINS }, () => ({
      method: 'POST',
      path: '/v1/auth/login',
      headers: { 'X-Forwarded-For': randomIp() },
      body: { email: user.email, password: user.password },
    }));

  const liveSessions = async (userId: string): Promise<string[]> =>
    (
      await t.dataSource.query('SELECT id FROM sessions WHERE user_id = ? AND token_deleted = ? ORDER BY id', [
        userId,
        false,
      ])
    ).map((r: { id: string }) => r.id);

  /**
   * Every login answered 200 or `refused` (401 `invalid_credentials` after a new password, 403
   * `account_disabled` after a disable), and none of the 200s' sessions lives on: not in the
   * database, not by its tokens.
   */
  const noOldPasswordSession = async (
    answers: BarrierAnswer[],
    userId: string,
    kept: string[],
    refused: [number, string] = [401, 'invalid_credentials'],
  ) => {
    const [status, code] = refused;
    const unexpected = answers.filter(
      (a) => a.status !== 200 && (a.status !== status || (a.body as { code?: string }).code !== code),
    );
    expect(unexpected.map((a) => [a.status, a.body])).toEqual([]);
    expect(await liveSessions(userId)).toEqual(kept);
    for (const a of answers.filter((x) => x.status === 200)) {
      const pair = a.body as { accessToken: string; refreshToken: string; sessionId: string };
      const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair.accessToken));
      expect({ session: pair.sessionId, status: me.status }).toEqual({ session: pair.sessionId, status: 401 });
      const refreshed = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken });
      expect({ session: pair.sessionId, status: refreshed.status }).toEqual({ session: pair.sessionId, status: 401 });
    }
  };

  it(`a password change against ${LOGINS} logins with the old password, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(t.http);
      const own = await login(t.http, user, { ip: randomIp() });
      const [change, ...answers] = await releaseTogether(port, [
        {
          method: 'POST',
          path: '/v1/users/me/password',
          headers: { Authorization: bearer(own), 'X-Forwarded-For': randomIp() },
          body: { currentPassword: user.password, newPassword: NEW_PASSWORD },
        },
        ...logins(user),
      ]);
      expect({ round, status: change.status, body: change.body }).toEqual({ round, status: 204, body: undefined });
      await noOldPasswordSession(answers, user.id, [own.sessionId]);
      // The changer's own session stays, and the new password logs in.
      await t.http.get('/v1/auth/me').set('Authorization', bearer(own)).expect(200);
      await login(t.http, { ...user, password: NEW_PASSWORD });
    }
  });

  it(`a password reset against ${LOGINS} logins with the old password, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(t.http);
      const link = await t.get(LinkTokens).issue('reset_password', user.id);
      const token = link.slice(link.indexOf('#token=') + '#token='.length);
      const [reset, ...answers] = await releaseTogether(port, [
        {
          method: 'POST',
          path: '/v1/auth/password/reset',
          headers: { 'X-Forwarded-For': randomIp() },
          body: { token, newPassword: NEW_PASSWORD },
        },
        ...logins(user),
      ]);
      expect({ round, status: reset.status, body: reset.body }).toEqual({ round, status: 204, body: undefined });
      await noOldPasswordSession(answers, user.id, []);
      await login(t.http, { ...user, password: NEW_PASSWORD });
    }
  });

  it(`an admin disable against ${LOGINS} logins with the right password, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(t.http);
      const [disable, ...answers] = await releaseTogether(port, [
        {
          method: 'POST',
          path: `/v1/admin/users/${user.id}/disable`,
          headers: { Authorization: bearer(admin), 'X-Forwarded-For': randomIp() },
          body: {},
        },
        ...logins(user),
      ]);
      expect({ round, status: disable.status, body: disable.body }).toEqual({ round, status: 204, body: undefined });
      await noOldPasswordSession(answers, user.id, [], [403, 'account_disabled']);
      // Still shut after the race: the right password is 403, and no session appears.
      const after = await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password });
      expect({ status: after.status, code: after.body.code }).toEqual({ status: 403, code: 'account_disabled' });
      expect(await liveSessions(user.id)).toEqual([]);
    }
  });
});
