import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import type { Mail } from '../src/mail/mail.js';
import { MailQueue } from '../src/mail/mail-queue.js';
import { bearer, login, registerUser, UA } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { PUBLIC_URL, settle } from './utils/mail.js';
import { linkIn, SMTP_PASS, startSmtpServer, TestSmtp } from './utils/smtp-server.js';

const TOKEN_IN_TEXT = /#token=[A-Za-z0-9_-]{43}/;
const mailOf = (kind: Mail['kind'], to: string): Mail => ({
  kind,
  userId: '00000000-0000-4000-8000-000000000000',
  to,
  subject: `A ${kind} test`,
  text: 'text',
  html: '<p>html</p>',
  links: [],
});

/** The mail channel itself: SMTP, after commit only, retries, and the log when there is no SMTP_URL. */
describe.each(testDatabases)('mail channel on %s', (db) => {
  describe('with SMTP_URL', () => {
    let t: TestApp;
    let smtp: TestSmtp;
    const logs = captureLogs();

    beforeAll(async () => {
      smtp = await startSmtpServer();
      t = await createTestApp(
        db,
        { SMTP_URL: smtp.url, PUBLIC_URL, LOG_LEVEL: 'trace' },
        { logDestination: logs.stream },
      );
    });
    afterAll(async () => {
      await t.close();
      await smtp.close();
    });

    it('sends a mail queued in a transaction once it commits, and never one whose transaction rolled back', async () => {
      const tx = t.get(TransactionRunner);
      const queue = t.get(MailQueue);
      await expect(
        tx.run(async (em) => {
          await queue.send(mailOf('password_changed', 'rolled.back@example.com'), em);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await tx.run(async (em) => {
        await queue.send(mailOf('password_changed', 'committed@example.com'), em);
        await settle(t);
        // Inside the transaction nothing has left yet.
        expect(smtp.mails.filter((m) => m.to.includes('committed@example.com'))).toEqual([]);
      });
      expect((await smtp.next('committed@example.com')).subject).toBe('A password_changed test');
      await settle(t);
      expect(smtp.mails.filter((m) => m.to.includes('rolled.back@example.com'))).toEqual([]);
    });

    it('retries a mail the server refused for now, logging the attempt without its content', async () => {
      smtp.refuseNext(1);
      const user = await registerUser(t.http);
      const mail = await smtp.next(user.email);
      const { token } = linkIn(mail, '/account/verify');
      const warned = logs.lines().filter((l) => /attempt 1 of 3 failed/.test(l.msg));
      expect(warned).toHaveLength(1);
      expect(warned[0].msg).toMatch(/^mail verify_email to user [0-9a-f-]{36}: attempt 1 of 3 failed/);
      expect(logs.text()).not.toContain(token);
    });

    it('keeps every mailed token out of its own log, through every flow, at LOG_LEVEL=trace', async () => {
      const user = await registerUser(t.http);
      const tokens = [linkIn(await smtp.next(user.email), '/account/verify').token];
      await t.http.post('/v1/auth/verify-email').send({ token: tokens[0] }).expect(204);
      await t.http.post('/v1/auth/verify-email').send({ token: tokens[0] }).expect(400);
      await login(t.http, user);
      await login(t.http, user, { ua: UA.iphoneSafari });
      tokens.push(linkIn(await smtp.next(user.email), '/account/not-me').token);
      await t.http.post('/v1/auth/not-me').send({ token: tokens[1] }).expect(204);
      tokens.push(linkIn(await smtp.next(user.email), '/account/reset').token);
      await t.http.post('/v1/auth/password/reset').send({ token: tokens[2], newPassword: 'x' }).expect(400);
      await t.http.post('/v1/auth/password/reset').send({ token: tokens[2], newPassword: 'a brand new passphrase' });
      await smtp.next(user.email, (m) => m.subject === 'Your password was changed');
      await settle(t);
      const text = logs.text();
      for (const token of tokens) expect(text).not.toContain(token);
      expect(text).not.toMatch(TOKEN_IN_TEXT);
      expect(text).not.toContain(SMTP_PASS);
      // The request lines are there (so the log was written), with the routes but no bodies.
      expect(text).toContain('/v1/auth/password/reset');
    });
  });

  describe('with an SMTP server that cannot be reached', () => {
    let t: TestApp;
    let closed: Server;
    const logs = captureLogs();

    beforeAll(async () => {
      // A port that accepts and then drops every connection at once.
      closed = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      t = await createTestApp(
        db,
        { SMTP_URL: `smtp://u:${SMTP_PASS}@127.0.0.1:${port}`, LOG_LEVEL: 'info' },
        { logDestination: logs.stream },
      );
    });
    afterAll(async () => {
      await t.close();
      await new Promise((resolve) => closed.close(resolve));
    });

    it('still answers the request that caused the mail, and logs the failure without the mail', async () => {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: 'unreachable@example.com', password: 'correct horse battery staple' })
        .expect(201);
      // The outbox retries twice, a doubling delay apart, then keeps the row as failed and logs it.
      const isFailure = (l: { level: number; msg: string }) =>
        l.level === 50 && /^mail verify_email to user/.test(l.msg);
      while (!logs.lines().some(isFailure)) await sleep(20);
      const failed = logs.lines().filter(isFailure);
      expect(failed).toHaveLength(1);
      expect(failed[0].msg).toContain(res.body.id);
      expect(logs.text()).not.toMatch(TOKEN_IN_TEXT);
      expect(logs.text()).not.toContain(SMTP_PASS);
    }, 20_000);
  });
});

describe('mail without SMTP_URL', () => {
  it('writes each mail to the log, at info, with its links, so a developer can follow every flow', async () => {
    const logs = captureLogs();
    const t = await createTestApp('sqlite', { LOG_LEVEL: 'info', PORT: '4321' }, { logDestination: logs.stream });
    try {
      expect(logs.lines().some((l) => /SMTP_URL is not set: each mail is written to this log/.test(l.msg))).toBe(true);
      const user = await registerUser(t.http);
      await settle(t);
      const [line] = logs.lines().filter((l) => l.mail?.kind === 'verify_email');
      expect(line).toMatchObject({
        level: 30,
        context: 'Mail',
        mail: { to: user.email, subject: 'Confirm your email address' },
      });
      const [link] = line.mail.links;
      // PUBLIC_URL defaults to http://localhost:$PORT.
      expect(link).toMatch(/^http:\/\/localhost:4321\/account\/verify#token=[A-Za-z0-9_-]{43}$/);
      expect(line.mail.text).toContain(link);
      await t.http
        .post('/v1/auth/verify-email')
        .send({ token: link.split('#token=')[1] })
        .expect(204);
      const pair = await login(t.http, user);
      expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(pair))).body.user.emailVerified).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('with NODE_ENV=production, warns at boot and logs each mail with its token redacted', async () => {
    const logs = captureLogs();
    const t = await createTestApp(
      'sqlite',
      { NODE_ENV: 'production', LOG_LEVEL: 'info' },
      { logDestination: logs.stream },
    );
    try {
      const boot = logs.lines().find((l) => /SMTP_URL is not set: no mail is delivered/.test(l.msg));
      expect(boot).toMatchObject({ level: 40 });
      await t.http
        .post('/v1/auth/password/forgot')
        .send({ email: (await registerUser(t.http)).email })
        .expect(202);
      await settle(t);
      const mails = logs.lines().filter((l) => l.mail);
      expect(mails.map((l) => [l.level, l.mail.kind])).toEqual([
        [40, 'verify_email'],
        [40, 'reset_password'],
      ]);
      expect(mails[1].mail.links).toEqual(['http://localhost:3000/account/reset#token=[redacted]']);
      expect(mails[1].mail.text).toContain('#token=[redacted]');
      expect(logs.text()).not.toMatch(TOKEN_IN_TEXT);
      const [{ n }] = await t.dataSource.query(
        "SELECT COUNT(*) AS n FROM link_tokens WHERE purpose = 'reset_password'",
      );
      expect(Number(n)).toBe(1);
    } finally {
      await t.close();
    }
  });
});
