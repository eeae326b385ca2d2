import type { AddressInfo } from 'node:net';
import { bearer, login, registerUser, TestUser, TokenPair, UA } from './factories/users.js';
import { countStatuses, releaseTogether } from './utils/barrier.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { dumpLinkTokens, PUBLIC_URL, settle, sha256, storedLinks } from './utils/mail.js';
import { mailTime } from '../src/mail/templates.js';
import { linkIn, startSmtpServer, TestSmtp } from './utils/smtp-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NEW_PASSWORD = 'a brand new passphrase';

const SUBJECT = {
  alert: 'New sign-in to your account',
  reset: 'Choose a new password',
  changed: 'Your password was changed',
  verify: 'Confirm your email address',
};

/**
 * New sign-in alerts, "this wasn't me", password reset and the rules every mailed token
 * follows (SPEC Part 2, "Account security"), reading the mails from a real SMTP server.
 */
describe.each(testDatabases)('sign-in alerts and password recovery on %s', (db) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let port: number;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(db, { SMTP_URL: smtp.url, PUBLIC_URL });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (user: TestUser, subject: string) => smtp.next(user.email, (m) => m.subject === subject);
  const me = (pair: TokenPair) => t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
  const session = async (id: string) => {
    const [row] = await t.dataSource.query('SELECT end_reason, token_deleted, logged_out FROM sessions WHERE id = ?', [
      id,
    ]);
    return {
      endReason: row.end_reason,
      ended: Boolean(Number(row.token_deleted)),
      loggedOut: Boolean(Number(row.logged_out)),
    };
  };
  const linkRefused = async (path: string, body: object) => {
    const res = await t.http.post(path).send(body);
    expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 400, code: 'link_invalid' });
  };
  /** A new account whose registration mail was read, so later mails to it are the ones under test. */
  const newUser = async () => {
    const user = await registerUser(t.http);
    await mailTo(user, SUBJECT.verify);
    return user;
  };
  const forgot = async (user: TestUser) => {
    await t.http.post('/v1/auth/password/forgot').send({ email: user.email.toUpperCase() }).expect(202);
    return linkIn(await mailTo(user, SUBJECT.reset), '/account/reset');
  };

  describe('new sign-in alert', () => {
    it('never alerts a first login nor a known device; alerts a new one with device, place, time and a link', async () => {
      const user = await newUser();
      const laptop = await login(t.http, user, { ua: UA.macChrome, ip: '193.0.6.139' });
      await login(t.http, user, { ua: UA.macChrome, ip: '8.8.8.8', deviceName: 'Another name' });
      await settle(t);
      expect(smtp.waiting(user.email)).toEqual([]);

      t.clock.advance(MINUTE);
      const phone = await login(t.http, user, { ua: UA.iphoneSafari, ip: '8.8.8.8', deviceName: 'Call +1 555 0100' });
      const mail = await mailTo(user, SUBJECT.alert);
      expect(mail.text).toContain('Device: Mobile Safari on iOS (mobile)');
      expect(mail.text).toContain('Approximate location: US');
      expect(mail.text).toContain('IP address: 8.8.8.8');
      expect(mail.text).toContain(`Time: ${mailTime(t.clock.now())}`);
      // The device name is the client's free choice: an attacker's text never reaches the owner's mail.
      expect(mail.text + mail.html).not.toContain('555 0100');
      expect(mail.text).toContain(`${PUBLIC_URL}/account/devices`);
      const { url, token } = linkIn(mail, '/account/not-me');
      expect(url).toBe(`${PUBLIC_URL}/account/not-me#token=${token}`);
      const [stored] = (await storedLinks(t, user.id)).filter((l) => l.purpose === 'not_me');
      expect(stored).toMatchObject({ tokenHash: sha256(token), sessionId: phone.sessionId, usedAt: null });
      expect(stored.expiresAt - stored.createdAt).toBe(30 * MINUTE);
      expect(await dumpLinkTokens(t)).not.toContain(token);
      await me(laptop).expect(200);
    });

    it('"this wasn\'t me" ends that session (reported, revoked) at once, mails a reset link, and works once', async () => {
      const user = await newUser();
      const laptop = await login(t.http, user);
      const phone = await login(t.http, user, { ua: UA.iphoneSafari });
      await me(phone).expect(200); // cached now: the ending must evict it
      const { token } = linkIn(await mailTo(user, SUBJECT.alert), '/account/not-me');

      await t.http.post('/v1/auth/not-me').send({ token }).expect(204);
      expect((await me(phone).expect(401)).body.code).toBe('session_ended');
      await me(laptop).expect(200);
      const shown = await t.http
        .get(`/v1/sessions/${phone.sessionId}`)
        .set('Authorization', bearer(laptop))
        .expect(200);
      expect(shown.body).toMatchObject({ status: 'revoked', endReason: 'reported' });
      expect(await session(phone.sessionId)).toEqual({ endReason: 'reported', ended: true, loggedOut: false });
      const reset = await mailTo(user, SUBJECT.reset);
      expect(reset.text).toContain('You told us a sign-in to your account was not you');
      linkIn(reset, '/account/reset');

      await linkRefused('/v1/auth/not-me', { token });
      // A not-me token is no other link's.
      await linkRefused('/v1/auth/verify-email', { token });
    });

    it("keeps an ended session's ending, and expires the link after RESET_LINK_TTL", async () => {
      const user = await newUser();
      await login(t.http, user);
      const phone = await login(t.http, user, { ua: UA.iphoneSafari });
      const first = linkIn(await mailTo(user, SUBJECT.alert), '/account/not-me');
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(phone)).expect(204);
      await t.http.post('/v1/auth/not-me').send({ token: first.token }).expect(204);
      expect(await session(phone.sessionId)).toMatchObject({ endReason: 'logout', loggedOut: true });
      await mailTo(user, SUBJECT.reset);

      const tablet = await login(t.http, user, { ua: UA.ipad });
      const second = linkIn(await mailTo(user, SUBJECT.alert), '/account/not-me');
      t.clock.advance(30 * MINUTE);
      await linkRefused('/v1/auth/not-me', { token: second.token });
      t.clock.advance(-30 * MINUTE);
      await me(tablet).expect(200);
    });
  });

  describe('password reset', () => {
    it('answers 202 for any email and mails a link only to an account', async () => {
      await t.http.post('/v1/auth/password/forgot').send({ email: 'nobody.here@example.com' }).expect(202);
      const user = await newUser();
      const { url, token } = await forgot(user);
      expect(url).toBe(`${PUBLIC_URL}/account/reset#token=${token}`);
      await settle(t);
      expect(smtp.mails.filter((m) => m.to.includes('nobody.here@example.com'))).toEqual([]);
      const [stored] = await storedLinks(t, user.id);
      expect(stored).toMatchObject({ purpose: 'reset_password', tokenHash: sha256(token), usedAt: null });
      expect(stored.expiresAt - stored.createdAt).toBe(30 * MINUTE);
      expect(await dumpLinkTokens(t)).not.toContain(token);
    });

    it('sets the password, ends every session (password_reset), mails the owner, and works once', async () => {
      const user = await newUser();
      const a = await login(t.http, user);
      const b = await login(t.http, user, { ua: UA.iphoneSafari });
      await mailTo(user, SUBJECT.alert);
      await me(a).expect(200);
      const { token } = await forgot(user);

      await t.http.post('/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
      for (const pair of [a, b]) {
        expect((await me(pair).expect(401)).body.code).toBe('session_ended');
        expect(await session(pair.sessionId)).toEqual({ endReason: 'password_reset', ended: true, loggedOut: true });
        const refresh = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken });
        expect(refresh.status).toBe(401);
      }
      await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(401);
      const fresh = await login(t.http, { ...user, password: NEW_PASSWORD });
      const listed = await t.http.get('/v1/sessions?status=all').set('Authorization', bearer(fresh)).expect(200);
      expect(listed.body.filter((s: { endReason: string }) => s.endReason === 'password_reset')).toHaveLength(2);
      expect(listed.body.find((s: { id: string }) => s.id === a.sessionId).status).toBe('logged_out');

      const changed = await mailTo(user, SUBJECT.changed);
      expect(changed.text).toContain('was reset with a mailed link');
      expect(changed.text).toContain(`${PUBLIC_URL}/account/reset\n`);
      expect(changed.text).not.toContain('#token=');
      await linkRefused('/v1/auth/password/reset', { token, newPassword: 'yet another passphrase' });
      // Following a reset link proved the address as a verification link would.
      expect((await me(fresh).expect(200)).body.user.emailVerified).toBe(true);
    });

    it('refuses a new password that breaks the password rules without using the link', async () => {
      const user = await newUser();
      const { token } = await forgot(user);
      for (const newPassword of ['short', 'password123', 'x'.repeat(129)]) {
        const res = await t.http.post('/v1/auth/password/reset').send({ token, newPassword });
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      }
      expect((await storedLinks(t, user.id))[0].usedAt).toBeNull();
      await t.http.post('/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    });

    it('expires the link after RESET_LINK_TTL', async () => {
      const user = await newUser();
      const { token } = await forgot(user);
      t.clock.advance(30 * MINUTE);
      await linkRefused('/v1/auth/password/reset', { token, newPassword: NEW_PASSWORD });
      t.clock.advance(-30 * MINUTE);
      await login(t.http, user);
    });

    it('uses a link once when twenty resets bring it at the same moment', async () => {
      const user = await newUser();
      const { token } = await forgot(user);
      const answers = await releaseTogether(
        port,
        Array.from({ length: 20 }, (_, i) => ({
          method: 'POST',
          path: '/v1/auth/password/reset',
          body: { token, newPassword: `${NEW_PASSWORD} ${i}` },
        })),
      );
      expect(countStatuses(answers)).toEqual({ 204: 1, 400: 19 });
      const winner = answers.findIndex((a) => a.status === 204);
      await login(t.http, { ...user, password: `${NEW_PASSWORD} ${winner}` });
    });

    it('mails at most RESET_MAILS_PER_HOUR reset links an account an hour, whatever the concurrency; still 202', async () => {
      const user = await newUser();
      const answers = await releaseTogether(
        port,
        Array.from({ length: 12 }, () => ({
          method: 'POST',
          path: '/v1/auth/password/forgot',
          body: { email: user.email },
        })),
      );
      expect(countStatuses(answers)).toEqual({ 202: 12 });
      await settle(t);
      const sent = smtp.waiting(user.email);
      expect(sent.map((m) => m.subject)).toEqual(Array(5).fill(SUBJECT.reset));
      expect((await storedLinks(t, user.id)).filter((l) => l.purpose === 'reset_password')).toHaveLength(5);
      for (const m of sent) await smtp.next(user.email, (x) => x === m);
      // "This wasn't me" sends reset links too, under the same count.
      await login(t.http, user);
      await login(t.http, user, { ua: UA.ipad });
      const { token } = linkIn(await mailTo(user, SUBJECT.alert), '/account/not-me');
      await t.http.post('/v1/auth/not-me').send({ token }).expect(204);
      await settle(t);
      expect(smtp.waiting(user.email)).toEqual([]);

      t.clock.advance(HOUR);
      await forgot(user);
      t.clock.advance(-HOUR);
    });
  });

  describe('every mailed token dies with a password change or reset', () => {
    /** One live link of each kind for the user: verification, reset and "this wasn't me". */
    async function oneOfEach(user: TestUser) {
      const pair = await login(t.http, user);
      await t.http.post('/v1/auth/verify-email/resend').set('Authorization', bearer(pair)).expect(202);
      const verify = linkIn(await mailTo(user, SUBJECT.verify), '/account/verify').token;
      const reset = (await forgot(user)).token;
      await login(t.http, user, { ua: UA.windowsFirefox });
      const notMe = linkIn(await mailTo(user, SUBJECT.alert), '/account/not-me').token;
      return { pair, verify, reset, notMe };
    }
    const allRefused = async (links: { verify: string; reset: string; notMe: string }) => {
      await linkRefused('/v1/auth/verify-email', { token: links.verify });
      await linkRefused('/v1/auth/password/reset', { token: links.reset, newPassword: 'yet another passphrase' });
      await linkRefused('/v1/auth/not-me', { token: links.notMe });
    };

    it('after a password change (which mails the owner)', async () => {
      const user = await newUser();
      const links = await oneOfEach(user);
      await t.http
        .post('/v1/users/me/password')
        .set('Authorization', bearer(links.pair))
        .send({ currentPassword: user.password, newPassword: NEW_PASSWORD })
        .expect(204);
      await allRefused(links);
      const changed = await mailTo(user, SUBJECT.changed);
      expect(changed.text).toContain('Every other device was signed out');
      expect(await storedLinks(t, user.id)).toEqual([]);
      await me(links.pair).expect(200);
    });

    it('after a password reset', async () => {
      const user = await newUser();
      const links = await oneOfEach(user);
      const other = await forgot(user);
      await t.http.post('/v1/auth/password/reset').send({ token: other.token, newPassword: NEW_PASSWORD }).expect(204);
      await allRefused(links);
      await mailTo(user, SUBJECT.changed);
    });
  });

  // Every content type and the fuzz pass: test/security-bodies (these routes are in its list).
  describe('bodies the routes do not read', () => {
    it.each([
      ['text/plain', (body: object) => JSON.stringify(body)],
      [
        'application/x-www-form-urlencoded',
        (body: object) => new URLSearchParams(body as Record<string, string>).toString(),
      ],
      ['application/json (an array)', (body: object) => JSON.stringify([body])],
    ])('answer 4xx to %s and use no link', async (type, encode) => {
      const user = await newUser();
      const { token } = await forgot(user);
      for (const [path, body] of [
        ['/v1/auth/password/reset', { token, newPassword: NEW_PASSWORD }],
        ['/v1/auth/not-me', { token }],
        ['/v1/auth/verify-email', { token }],
        ['/v1/auth/password/forgot', { email: user.email }],
      ] as const) {
        const res = await t.http.post(path).set('Content-Type', type.split(' ')[0]).send(encode(body));
        expect({ path, status: res.status >= 400 && res.status < 500 }).toEqual({ path, status: true });
      }
      await settle(t);
      expect(smtp.waiting(user.email)).toEqual([]);
      const resets = (await storedLinks(t, user.id)).filter((l) => l.purpose === 'reset_password');
      expect(resets.map((l) => l.usedAt)).toEqual([null]);
      await t.http.post('/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    });
  });
});

/** Per-IP limits: the new routes count like login (RATE_LIMIT_PER_IP a window, then 429 with Retry-After). */
describe('per-IP limits on the mailed-link routes', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp('sqlite', { SMTP_URL: smtp.url, RATE_LIMIT_PER_IP: '3' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it.each([
    ['/v1/auth/password/forgot', { email: 'someone@example.com' }],
    ['/v1/auth/password/reset', { token: 'Q'.repeat(43), newPassword: NEW_PASSWORD }],
    ['/v1/auth/verify-email', { token: 'Q'.repeat(43) }],
    ['/v1/auth/not-me', { token: 'Q'.repeat(43) }],
  ])('%s: the fourth request in a window from one IP is 429', async (path, body) => {
    const from = (ip: string) => t.http.post(path).set('X-Forwarded-For', ip).send(body);
    for (let i = 0; i < 3; i += 1) expect((await from('198.51.100.9')).status).not.toBe(429);
    const limited = await from('198.51.100.9');
    expect([limited.status, limited.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('198.51.100.10')).status).not.toBe(429);
    await settle(t);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
const withMysqlAndRedis = redisUrl && process.env.TEST_MYSQL_URL ? describe : describe.skip;

/** Two instances on one MySQL and one Redis: the hourly count of reset mails holds across them. */
withMysqlAndRedis('reset mails counted across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    const env = { SMTP_URL: smtp.url, REDIS_URL: redisUrl! };
    a = await createTestApp('mysql', env);
    b = await createTestApp('mysql', env, { keepData: true });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await smtp.close();
  });

  it('mails RESET_MAILS_PER_HOUR reset links when the requests go to both instances at once', async () => {
    const user = await registerUser(a.http);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).http.post('/v1/auth/password/forgot').send({ email: user.email }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(202));
    await Promise.all([settle(a), settle(b)]);
    expect(smtp.waiting(user.email).filter((m) => m.subject === SUBJECT.reset)).toHaveLength(5);
  });
});
