import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { bearer, login, registerUser, TestUser, UA } from './factories/users.js';
import {
  describeInBrowser,
  launchChromium,
  listenForBrowser,
  openContext,
  pageProblems,
  saveScreenshot,
} from './utils/browser.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { PUBLIC_URL, settle } from './utils/mail.js';
import { linkIn, startSmtpServer, TestSmtp } from './utils/smtp-server.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('mailed-link pages over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(() => t.close());

  it.each(['/account/verify', '/account/reset', '/account/not-me'])(
    'serves %s with its script and styles under the page CSP, outside the OpenAPI document',
    async (path) => {
      const page = await t.http.get(path).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain(`script-src 'self'`);
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.text).toContain('<script src="/account/links.js" defer></script>');
      await t.http
        .get('/account/links.js')
        .expect(200)
        .expect('Content-Type', /javascript/);
      await t.http
        .get('/account/links.css')
        .expect(200)
        .expect('Content-Type', /text\/css/);
      const doc = await t.http.get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths).filter((p) => p.startsWith('/account'))).toEqual([]);
    },
  );
});

describeInBrowser('mailed-link pages in Chromium', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let baseURL: string;
  const logs = captureLogs();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(
      'sqlite',
      { SMTP_URL: smtp.url, PUBLIC_URL, LOG_LEVEL: 'info' },
      { logDestination: logs.stream },
    );
    baseURL = await listenForBrowser(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  /** A page, what it sent (every URL, with its Referer), and what broke in it. */
  async function open(): Promise<{ page: Page; sent: string[]; problems: string[] }> {
    const context = await openContext(browser, baseURL);
    contexts.push(context);
    const page = await context.newPage();
    const sent: string[] = [];
    page.on('request', (r) => sent.push(`${r.url()} ${r.headers().referer ?? ''}`));
    return { page, sent, problems: pageProblems(page) };
  }

  /** The mailed link, onto the test server: the mail says PUBLIC_URL, the browser reaches the same path here. */
  const here = (url: string) => {
    const u = new URL(url);
    expect(u.origin).toBe(PUBLIC_URL);
    return `${baseURL}${u.pathname}${u.hash}`;
  };
  const expectText = async (locator: Locator, text: string) => {
    await locator.filter({ hasText: text }).waitFor();
  };
  const state = (page: Page, name: string) => page.locator(`body[data-state="${name}"]`).waitFor();

  /** The token reached no server: not in a URL or Referer the page sent, not in the URL bar, not in the log. */
  function expectTokenKeptInBrowser(page: Page, sent: string[], token: string) {
    expect(sent.filter((s) => s.includes(token))).toEqual([]);
    expect(page.url()).not.toContain(token);
    expect(logs.text()).not.toContain(token);
  }

  const mailTo = (user: TestUser, subject: string) => smtp.next(user.email, (m) => m.subject === subject);

  it('verify: confirms the email from the mailed link, then says a used link no longer works', async () => {
    const user = await registerUser(t.http);
    const { url, token } = linkIn(await mailTo(user, 'Confirm your email address'), '/account/verify');
    const { page, sent, problems } = await open();
    await page.goto(here(url));
    await state(page, 'done');
    await expectText(page.getByRole('status'), 'Email address confirmed.');
    await page.getByRole('heading', { name: 'Confirm your email' }).waitFor();
    await page.getByRole('link', { name: 'Go to your devices' }).waitFor();
    const pair = await login(t.http, user);
    expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(pair))).body.user.emailVerified).toBe(true);
    await saveScreenshot(page, 'account-verify-done');

    await page.goto(here(url));
    await state(page, 'failed');
    await expectText(page.getByRole('alert'), 'This link no longer works');
    expect(await page.getByRole('link', { name: 'Go to your devices' }).isHidden()).toBe(true);
    expectTokenKeptInBrowser(page, sent, token);
    expect(problems).toEqual([]);
  });

  it('verify: without a token, says the page needs the mailed link', async () => {
    const { page, problems } = await open();
    await page.goto('/account/verify');
    await state(page, 'failed');
    await expectText(page.getByRole('alert'), 'This page needs the link from your mail');
    expect(problems).toEqual([]);
  });

  it('reset: asks for a link, sets the password from it, and signs every device out', async () => {
    const user = await registerUser(t.http);
    await mailTo(user, 'Confirm your email address');
    const before = await login(t.http, user);
    const { page, sent, problems } = await open();

    await page.goto('/account/reset');
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Mail me a link' }).click();
    await expectText(page.getByRole('status'), 'If an account has this email, a link to choose a new password');
    const { url, token } = linkIn(await mailTo(user, 'Choose a new password'), '/account/reset');

    await page.goto(here(url));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(`${NEW_PASSWORD}!`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expectText(page.getByRole('alert'), 'The two passwords do not match.');

    await page.getByLabel('New password', { exact: true }).fill('password123');
    await page.getByLabel('Repeat the new password').fill('password123');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expectText(page.getByRole('alert'), 'commonly used');

    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await state(page, 'done');
    await saveScreenshot(page, 'account-reset-done');
    await t.http.get('/v1/auth/me').set('Authorization', bearer(before)).expect(401);
    await login(t.http, { ...user, password: NEW_PASSWORD });
    await mailTo(user, 'Your password was changed');
    expectTokenKeptInBrowser(page, sent, token);
    expect(problems).toEqual([]);
  });

  it('reset: a used link says so and offers a new one', async () => {
    const user = await registerUser(t.http);
    await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(202);
    const { url, token } = linkIn(await mailTo(user, 'Choose a new password'), '/account/reset');
    await t.http.post('/v1/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    const { page, problems } = await open();
    await page.goto(here(url));
    await page.getByLabel('New password', { exact: true }).fill('another fine passphrase');
    await page.getByLabel('Repeat the new password').fill('another fine passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expectText(page.getByRole('alert'), 'This link no longer works');
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await login(t.http, { ...user, password: NEW_PASSWORD });
    expect(problems).toEqual([]);
  });

  it('not-me: signs the reported device out on a click, and mails a reset link', async () => {
    const user = await registerUser(t.http);
    await login(t.http, user);
    const intruder = await login(t.http, user, { ua: UA.windowsFirefox, ip: '8.8.8.8' });
    const { url, token } = linkIn(await mailTo(user, 'New sign-in to your account'), '/account/not-me');
    const { page, sent, problems } = await open();
    await page.goto(here(url));
    await page.getByRole('heading', { name: 'That sign-in was not you?' }).waitFor();
    // Opening the page ends nothing: a mail scanner following links must not sign anyone out.
    await settle(t);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(intruder)).expect(200);
    await saveScreenshot(page, 'account-not-me');
    await page.getByRole('button', { name: 'Sign out that device' }).click();
    await state(page, 'done');
    await expectText(page.getByRole('status'), 'That device is signed out.');
    const res = await t.http.get('/v1/auth/me').set('Authorization', bearer(intruder)).expect(401);
    expect(res.body.code).toBe('session_ended');
    await mailTo(user, 'Choose a new password');

    await page.goto(here(url));
    await page.getByRole('button', { name: 'Sign out that device' }).click();
    await expectText(page.getByRole('alert'), 'This link no longer works');
    expectTokenKeptInBrowser(page, sent, token);
    expect(problems).toEqual([]);
  });
});
