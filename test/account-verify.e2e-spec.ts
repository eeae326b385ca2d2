import { LinkTokens } from '../src/auth/link-tokens.js';
import { LinkTokensSweeper } from '../src/auth/link-tokens.sweeper.js';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { dumpLinkTokens, PUBLIC_URL, settle, sha256, storedLinks } from './utils/mail.js';
import { linkIn, SMTP_USER, startSmtpServer, TestSmtp } from './utils/smtp-server.js';

const DAY = 86_400_000;
const verifyLink = (smtp: TestSmtp, email: string) =>
  smtp.next(email, (m) => m.subject === 'Confirm your email address').then((m) => linkIn(m, '/account/verify'));

/** Email verification (SPEC Part 2, "Account security"), reading the mails from a real SMTP server. */
describe.each(testDatabases)('email verification on %s', (db) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(db, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Accounts <accounts@example.test>',
      PUBLIC_URL,
      ADMIN_EMAILS: 'chief@example.com',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('mails a single-use link on registration, stored only as its hash, that verifies the email', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'Verify.Me@Example.com', password: 'correct horse battery staple', name: 'Ada <b>' })
      .expect(201);
    expect(res.body).toMatchObject({ email: 'verify.me@example.com', emailVerified: false });
    const mail = await smtp.next('verify.me@example.com');
    expect(mail).toMatchObject({
      from: 'accounts@example.test',
      user: SMTP_USER,
      subject: 'Confirm your email address',
    });
    expect(mail.parsed.from?.value).toEqual([{ name: 'Accounts', address: 'accounts@example.test' }]);
    // Plain text and HTML; what the user chose is escaped in the HTML.
    expect(mail.text).toContain('Hello Ada <b>,');
    expect(mail.html).toContain('Hello Ada &lt;b&gt;,');
    const { url, token } = linkIn(mail, '/account/verify');
    expect(url).toBe(`${PUBLIC_URL}/account/verify#token=${token}`);
    // 256 random bits, base64url.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    const [stored] = await storedLinks(t, res.body.id);
    expect(stored).toMatchObject({ purpose: 'verify_email', tokenHash: sha256(token), usedAt: null });
    expect(stored.expiresAt - stored.createdAt).toBe(DAY);
    expect(await dumpLinkTokens(t)).not.toContain(token);

    const pair = await login(t.http, {
      id: res.body.id,
      email: 'verify.me@example.com',
      password: 'correct horse battery staple',
    });
    const me = () => t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect((await me()).body.user.emailVerified).toBe(false);

    await t.http.post('/v1/auth/verify-email').send({ token }).expect(204);
    // GET /v1/auth/me is served from the session cache: verifying evicted it.
    expect((await me()).body.user.emailVerified).toBe(true);
    expect((await storedLinks(t, res.body.id))[0].usedAt).toBe(t.clock.now());

    const again = await t.http.post('/v1/auth/verify-email').send({ token }).expect(400);
    expect(again.body).toEqual({
      statusCode: 400,
      code: 'link_invalid',
      error: 'Bad Request',
      message: expect.any(String),
    });
  });

  it('refuses an expired, unknown, mangled or other-purpose token with link_invalid, verifying nothing', async () => {
    const user = await registerUser(t.http);
    const { token } = await verifyLink(smtp, user.email);
    const refused = async (value: string) => {
      const res = await t.http.post('/v1/auth/verify-email').send({ token: value });
      expect({ value, status: res.status, code: res.body.code }).toEqual({ value, status: 400, code: 'link_invalid' });
    };
    await refused('A'.repeat(43));
    await refused(token.slice(0, -1));
    await refused(`${token}x`);
    await refused(token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase());
    await refused(sha256(token));
    // A verification token is not a reset token.
    const reset = await t.http.post('/v1/auth/password/reset').send({ token, newPassword: 'a brand new passphrase' });
    expect([reset.status, reset.body.code]).toEqual([400, 'link_invalid']);

    t.clock.advance(DAY);
    await refused(token);
    const [row] = await t.dataSource.query('SELECT email_verified_at FROM users WHERE id = ?', [user.id]);
    expect(row.email_verified_at).toBeNull();
    t.clock.advance(-DAY);
    // One millisecond before its expiry it still worked: the limit is exactly VERIFY_LINK_TTL.
    t.clock.advance(DAY - 1);
    await t.http.post('/v1/auth/verify-email').send({ token }).expect(204);
    t.clock.advance(-(DAY - 1));
  });

  it('uses a token once when ten requests bring it at the same moment', async () => {
    const user = await registerUser(t.http);
    const { token } = await verifyLink(smtp, user.email);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.http.post('/v1/auth/verify-email').send({ token })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([204, ...Array(9).fill(400)]);
    expect(answers.filter((a) => a.status === 400).every((a) => a.body.code === 'link_invalid')).toBe(true);
  });

  it('resends a link (202) until the account had its mails of the hour, and none once verified', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const first = await verifyLink(smtp, user.email);
    await t.http.post('/v1/auth/verify-email/resend').expect(401);
    // The registration's mail counts: four more this hour, then 202 without a mail.
    for (let i = 0; i < 6; i += 1)
      await t.http.post('/v1/auth/verify-email/resend').set('Authorization', bearer(pair)).expect(202);
    await settle(t);
    const resent = smtp.waiting(user.email);
    expect(resent).toHaveLength(4);
    const tokens = resent.map((m) => linkIn(m, '/account/verify').token);
    expect(new Set([first.token, ...tokens]).size).toBe(5);
    for (const m of resent) await smtp.next(user.email, (x) => x === m);

    t.clock.advance(3_600_000);
    const later = await login(t.http, user);
    // Any of the links verifies; then the others are dead and resending sends nothing.
    await t.http.post('/v1/auth/verify-email').send({ token: tokens[2] }).expect(204);
    for (const token of [first.token, tokens[0]])
      expect((await t.http.post('/v1/auth/verify-email').send({ token })).body.code).toBe('link_invalid');
    await t.http.post('/v1/auth/verify-email/resend').set('Authorization', bearer(later)).expect(202);
    await settle(t);
    expect(smtp.waiting(user.email)).toEqual([]);
  });

  it('purges expired tokens, used or not, and keeps live ones (the hourly sweep)', async () => {
    const older = await registerUser(t.http);
    await verifyLink(smtp, older.email);
    t.clock.advance(DAY / 2);
    const newer = await registerUser(t.http);
    const { token } = await verifyLink(smtp, newer.email);
    t.clock.advance(DAY / 2);
    await t.get(LinkTokensSweeper).run();
    expect(await storedLinks(t, older.id)).toEqual([]);
    expect(await storedLinks(t, newer.id)).toHaveLength(1);
    expect(await t.get(LinkTokens).purge()).toBe(0);
    await t.http.post('/v1/auth/verify-email').send({ token }).expect(204);
    t.clock.advance(-DAY);
  });

  it('grants ADMIN_EMAILS admin only once the address is verified: registering it first gains nothing', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'Chief@example.com', password: 'correct horse battery staple' })
      .expect(201);
    expect(res.body.roles).toEqual(['user']);
    const chief = { id: res.body.id, email: 'chief@example.com', password: 'correct horse battery staple' };
    const pair = await login(t.http, chief);
    const adminRoute = () => t.http.get(`/v1/admin/users/${chief.id}/sessions`).set('Authorization', bearer(pair));
    expect((await adminRoute()).body.code).toBe('forbidden');
    expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(pair))).body.user.roles).toEqual(['user']);

    const { token } = await verifyLink(smtp, chief.email);
    await t.http.post('/v1/auth/verify-email').send({ token }).expect(204);
    await adminRoute().expect(200);
    const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect(me.body.user).toMatchObject({ emailVerified: true, roles: ['user', 'admin'] });
  });
});
