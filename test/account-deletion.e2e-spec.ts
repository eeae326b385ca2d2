import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AuditService } from '../src/audit/audit.service.js';
import type { SessionRevokedEvent } from '../src/sessions/session-events.js';
import { ValidityCache } from '../src/sessions/validity-cache.js';
import { RedisValidityCache } from '../src/sessions/validity-cache.redis.js';
import { grantAdmin } from './factories/admin.js';
import { bearer, login, registerUser, TestUser, TokenPair, UA } from './factories/users.js';
import { countStatuses, releaseTogether } from './utils/barrier.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

const PER_ACCOUNT = 10;

/** Every row that holds something of the user (or, for login_audit, of their email). */
async function traces(t: TestApp, user: TestUser & { id: string }) {
  const count = async (sql: string, ...params: string[]) => Number((await t.dataSource.query(sql, params))[0].n);
  return {
    users: await count('SELECT COUNT(*) AS n FROM users WHERE id = ? OR email = ?', user.id, user.email),
    sessions: await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', user.id),
    linkTokens: await count('SELECT COUNT(*) AS n FROM link_tokens WHERE user_id = ?', user.id),
    roles: await count('SELECT COUNT(*) AS n FROM user_roles WHERE user_id = ?', user.id),
    audit: await count(
      'SELECT COUNT(*) AS n FROM login_audit WHERE user_id = ? OR email_hash = ?',
      user.id,
      t.get(AuditService).emailHash(user.email),
    ),
  };
}

/**
 * Account deletion (SPEC Part 2, "Account security"): the password is the proof, every session
 * ends (`account_deleted`) and is refused on its next request, the personal data is erased, and
 * the email may register again.
 */
describe.each(testDatabases)('account deletion on %s', (db) => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp(db, { LOGIN_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
  const deleteMe = (pair: TokenPair, body: unknown) =>
    t.http
      .delete('/v1/users/me')
      .set('Authorization', bearer(pair))
      .set('X-Forwarded-For', randomIp())
      .send(body as object);

  it('deletes with the password: sessions end at once, data is erased, the email registers again', async () => {
    const user = await registerUser(t.http);
    await grantAdmin(t, user.email);
    const laptop = await login(t.http, user, { ip: '203.0.113.7' });
    const phone = await login(t.http, user, { ua: UA.iphoneSafari, ip: '198.51.100.9' });
    await t.http.post('/v1/auth/login').send({ email: user.email, password: 'a wrong one' }).expect(401);
    await me(phone).expect(200); // cached: the deletion must evict it
    const before = await traces(t, user);
    expect(before).toMatchObject({ users: 1, sessions: 2, roles: 1 });
    expect(before.linkTokens).toBeGreaterThan(0);
    expect(before.audit).toBe(3);
    const events: SessionRevokedEvent[] = [];
    const listener = (e: SessionRevokedEvent) => events.push(e);
    t.get(EventEmitter2).on('session.revoked', listener);

    // A long time after the login: the deletion's own password is the proof, no reauthentication needed.
    t.clock.advance(t.config.auth.reauthMaxAge * 1000 + 1000);
    await deleteMe(laptop, { password: user.password }).expect(204);
    t.get(EventEmitter2).off('session.revoked', listener);

    for (const pair of [laptop, phone]) {
      const res = await me(pair);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'session_ended' });
    }
    const refresh = await t.http.post('/v1/auth/refresh').send({ refreshToken: phone.refreshToken });
    expect(refresh.status).toBe(401);
    const relogin = await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password });
    expect({ status: relogin.status, code: relogin.body.code }).toEqual({ status: 401, code: 'invalid_credentials' });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'session.revoked',
        data: {
          userId: user.id,
          sessionIds: expect.arrayContaining([laptop.sessionId, phone.sessionId]),
          reason: 'account_deleted',
        },
      }),
    ]);
    // The failed relogin above is an attempt on an email that is no account now: recorded without a user.
    await t.dataSource.query('DELETE FROM login_audit WHERE user_id IS NULL AND email_hash = ?', [
      t.get(AuditService).emailHash(user.email),
    ]);
    expect(await traces(t, user)).toEqual({ users: 0, sessions: 0, linkTokens: 0, roles: 0, audit: 0 });

    const again = await registerUser(t.http, { email: user.email.toUpperCase(), password: 'another long passphrase' });
    expect(again.id).not.toBe(user.id);
    await login(t.http, { ...again, email: user.email });
  });

  it('a wrong password is 403 invalid_credentials (not 401) and changes nothing', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const res = await deleteMe(pair, { password: 'not my password' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'invalid_credentials',
      message: expect.any(String),
    });
    await me(pair).expect(200);
    expect(await traces(t, user)).toMatchObject({ users: 1, sessions: 1 });
  });

  it('bad bodies are 400 or 415 and change nothing; no bearer is 401', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    for (const body of [
      undefined,
      {},
      { password: '' },
      { password: ['x'] },
      { password: user.password, id: user.id },
    ]) {
      const res = await deleteMe(pair, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
    const form = await t.http
      .delete('/v1/users/me')
      .set('Authorization', bearer(pair))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(`password=${encodeURIComponent(user.password)}`);
    expect({ status: form.status, code: form.body.code }).toEqual({ status: 415, code: 'unsupported_media_type' });
    await t.http.delete('/v1/users/me').send({ password: user.password }).expect(401);
    await me(pair).expect(200);
    expect((await traces(t, user)).users).toBe(1);
  });

  it(`30 wrong passwords at once, reauthentications and deletions mixed: exactly ${PER_ACCOUNT} checked`, async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const answers = await releaseTogether(
      port,
      Array.from({ length: 30 }, (_, i) => ({
        method: i % 2 ? 'DELETE' : 'POST',
        path: i % 2 ? '/v1/users/me' : '/v1/auth/reauthenticate',
        headers: { Authorization: bearer(pair), 'X-Forwarded-For': randomIp() },
        body: { password: `wrong guess ${i}` },
      })),
    );
    expect(countStatuses(answers)).toEqual({ 403: PER_ACCOUNT, 429: 30 - PER_ACCOUNT });
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.body).toMatchObject({ code: 'rate_limited' });
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect429(await deleteMe(pair, { password: user.password }));
    await me(pair).expect(200);
    expect((await traces(t, user)).users).toBe(1);
  });
});

describe('account deletion: the per-IP limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { RATE_LIMIT_PER_IP: '2' });
  });
  afterAll(() => t.close());

  it('is limited per IP like login', async () => {
    const ip = randomIp();
    const user = await registerUser(t.http, {}, randomIp());
    const pair = await login(t.http, user, { ip: randomIp() });
    const wrong = () =>
      t.http
        .delete('/v1/users/me')
        .set('Authorization', bearer(pair))
        .set('X-Forwarded-For', ip)
        .send({ password: 'not it' });
    await wrong().expect(403);
    await wrong().expect(403);
    expect429(await wrong());
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
(redisUrl && testDatabases.includes('mysql') ? describe : describe.skip)(
  'account deletion across two instances with Redis',
  () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = { REDIS_URL: redisUrl! };
      a = await createTestApp('mysql', env);
      b = await createTestApp('mysql', env, { keepData: true });
      const leased = (t: TestApp) => (t.get(ValidityCache) as RedisValidityCache).leased;
      while (!leased(a) || !leased(b)) await sleep(10);
    });
    afterAll(async () => {
      await Promise.allSettled([a?.close(), b?.close()]);
    });

    it('a session cached on B is refused there once the deletion through A answered', async () => {
      const user = await registerUser(a.http);
      const pair = await login(a.http, user);
      await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
      expect(b.get(ValidityCache).lookup(pair.sessionId, user.id, b.clock.now(), 60_000)).toBeDefined();
      await a.http
        .delete('/v1/users/me')
        .set('Authorization', bearer(pair))
        .send({ password: user.password })
        .expect(204);
      expect(b.get(ValidityCache).lookup(pair.sessionId, user.id, b.clock.now(), 60_000)).toBeUndefined();
      await b.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(401);
    });
  },
);
