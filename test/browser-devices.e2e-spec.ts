import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { login, registerUser, TestUser, UA } from './factories/users.js';
import {
  describeInBrowser,
  launchChromium,
  listenForBrowser,
  openContext,
  pageProblems,
  saveScreenshot,
} from './utils/browser.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';

const HOUR = 3_600_000;
const ACCESS_TOKEN_TTL_MS = 900_000;
const storedAuth = (page: Page) =>
  page.evaluate<{ accessToken: string; refreshToken: string; sessionId: string } | null>(
    `JSON.parse(sessionStorage.getItem('device-sessions.auth'))`,
  );

describe('devices page over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(() => t.close());

  it('serves the page and its assets publicly under the API CSP', async () => {
    const page = await t.http.get('/account/devices').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // The page needs no inline script, so it keeps working if 'unsafe-inline' is ever dropped.
    expect(page.headers['content-security-policy']).toContain(`script-src 'self'`);
    // Reached over plain http on a non-local host, that directive would leave the page without its script and styles.
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(page.text).toContain('<script src="/account/devices.js" defer></script>');
    await t.http
      .get('/account/devices.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    await t.http
      .get('/account/devices.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
  });

  it('answers unknown /account paths and path tricks with the API 404 body', async () => {
    for (const path of ['/account/nope', '/account/../package.json', '/account/%2e%2e/package.json', '/account/']) {
      const res = await t.http.get(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });

  it('keeps the page out of the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths).filter((p) => p.startsWith('/account'))).toEqual([]);
  });
});

describeInBrowser('devices page in Chromium', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    t = await createTestApp('sqlite', { LOGIN_FAILURES_PER_ACCOUNT: '3' });
    baseURL = await listenForBrowser(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  async function device(
    userAgent: string,
    ip: string,
    options: BrowserContextOptions = {},
  ): Promise<{ page: Page; problems: string[] }> {
    const context = await openContext(browser, baseURL, {
      userAgent,
      extraHTTPHeaders: { 'X-Forwarded-For': ip },
      ...options,
    });
    contexts.push(context);
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto('/account/devices');
    return { page, problems };
  }

  async function signIn(page: Page, user: TestUser): Promise<void> {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await page.locator('#device-list[aria-busy="false"] li.device').first().waitFor();
  }

  const rows = (page: Page) => page.locator('#device-list li.device');
  const row = (page: Page, sessionId: string) => page.locator(`#device-list li[data-session-id="${sessionId}"]`);

  it('refuses a wrong password with an announced error and stores no token', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.10');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), 'Wrong email or password.');
    expect(await page.locator('#devices-view').isHidden()).toBe(true);
    expect(await storedAuth(page)).toBeNull();
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
    await saveScreenshot(page, 'devices-login-error');
    expect(problems).toEqual([]);
  });

  it('tells a locked-out account when to try again', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.11');
    await page.getByLabel('Email').fill(user.email);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await page.getByLabel('Password').fill(`wrong password ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expectText(page.getByRole('alert'), 'Wrong email or password.');
      await page.getByRole('button', { name: 'Sign in' }).and(page.locator(':enabled')).waitFor();
    }
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), 'Too many attempts. Try again in 15 minutes.');
    expect(await storedAuth(page)).toBeNull();
    expect(problems).toEqual([]);
  });

  it('lists two browsers, signs one out from the other, and sends the signed-out one back to login', async () => {
    const user = await registerUser(t.http, { email: 'grace.hopper@example.com', name: 'Grace Hopper' });
    // Older sessions on other devices, so the list shows several kinds and ages of activity.
    t.clock.advance(-50 * HOUR);
    await login(t.http, user, { ua: UA.windowsFirefox, ip: '198.51.100.23' });
    t.clock.advance(47 * HOUR);
    await login(t.http, user, { ua: UA.ipad, ip: '192.0.2.44' });
    t.clock.advance(3 * HOUR);

    // The phone also checks the narrow layout and the dark colour scheme.
    const phone = await device(UA.iphoneSafari, '198.51.100.7', {
      viewport: { width: 390, height: 760 },
      colorScheme: 'dark',
    });
    await signIn(phone.page, user);
    const laptop = await device(UA.macChrome, '203.0.113.10');
    await signIn(laptop.page, user);
    const phoneSession = (await storedAuth(phone.page))!.sessionId;
    const laptopSession = (await storedAuth(laptop.page))!.sessionId;

    // The laptop sees all four, itself first with the badge.
    expect(await rows(laptop.page).count()).toBe(4);
    const first = rows(laptop.page).first();
    expect(await first.getAttribute('data-session-id')).toBe(laptopSession);
    await expectText(first.locator('.device-name'), 'Chrome on macOSThis device');
    await expectText(first.locator('.device-meta').first(), 'Unknown location · 203.0.113.10');
    await expectText(first.locator('time'), 'Active now');
    const phoneRow = row(laptop.page, phoneSession);
    await expectText(phoneRow.locator('.device-name'), 'Mobile Safari on iPhone');
    expect(await phoneRow.locator('.badge').count()).toBe(0);
    await expectText(phoneRow.locator('.device-meta').first(), 'Unknown location · 198.51.100.7');
    expect(await rows(laptop.page).locator('time').allTextContents()).toEqual([
      'Active now',
      'Active now',
      'Active 3 hours ago',
      'Active 2 days ago',
    ]);
    expect(
      await laptop.page
        .locator('.device-icon')
        .evaluateAll((icons) => icons.map((i) => (i as unknown as { title: string }).title)),
    ).toEqual(['desktop', 'mobile', 'tablet', 'desktop']);
    const shell = (await laptop.page.locator('main').boundingBox())!;
    await saveScreenshot(laptop.page, 'devices', {
      readme: true,
      clip: { x: 0, y: 0, width: 1100, height: shell.y + shell.height },
    });

    // The phone's narrow layout has no horizontal scrolling.
    await phone.page.getByRole('button', { name: 'Refresh' }).click();
    await row(phone.page, laptopSession).waitFor();
    expect(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await saveScreenshot(phone.page, 'devices-mobile', { fullPage: true });

    // The laptop signs the phone out: it disappears from the list at once.
    await phoneRow.getByRole('button', { name: 'Sign out Mobile Safari on iPhone, 198.51.100.7', exact: true }).click();
    await expectText(laptop.page.getByRole('status'), 'Signed out Mobile Safari on iPhone.');
    expect(await phoneRow.count()).toBe(0);
    expect(await rows(laptop.page).count()).toBe(3);

    // The phone's next action fails (refresh included) and lands on the login form.
    await phone.page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(phone.page.getByRole('alert'), 'Your session has ended. Please sign in again.');
    expect(await phone.page.getByLabel('Email').isVisible()).toBe(true);
    expect(await storedAuth(phone.page)).toBeNull();

    // "Sign out of all other devices" leaves the laptop alone, and the button goes away.
    await laptop.page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    await expectText(laptop.page.getByRole('status'), 'Signed out of 2 other devices.');
    expect(await rows(laptop.page).count()).toBe(1);
    expect(await laptop.page.getByRole('button', { name: 'Sign out of all other devices' }).isHidden()).toBe(true);

    // Signing out this device ends its session on the server too.
    await row(laptop.page, laptopSession)
      .getByRole('button', { name: /Sign out of this device/ })
      .click();
    await expectText(laptop.page.getByRole('status'), 'You signed out of this device.');
    expect(await storedAuth(laptop.page)).toBeNull();
    const [{ end_reason }] = await t.dataSource.query('SELECT end_reason FROM sessions WHERE id = ?', [laptopSession]);
    expect(end_reason).toBe('logout');
    expect([...phone.problems, ...laptop.problems]).toEqual([]);
  });

  it('renews an expired access token with the refresh token and retries once', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.windowsFirefox, '203.0.113.99');
    await signIn(page, user);
    const before = (await storedAuth(page))!;

    t.clock.advance(ACCESS_TOKEN_TTL_MS + 1_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('#device-list[aria-busy="false"]').waitFor();

    const after = (await storedAuth(page))!;
    expect(after.sessionId).toBe(before.sessionId);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await page.getByRole('alert').textContent()).toBe('');
    expect(await rows(page).count()).toBe(1);

    // A reload keeps the tab signed in (sessionStorage), and the tokens it holds still work.
    await page.reload();
    await page.locator('#device-list[aria-busy="false"] li.device').first().waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('');
    expect(problems).toEqual([]);
  });

  it('says so when the server cannot be reached, and keeps the person signed in', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.12');
    await signIn(page, user);

    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByRole('alert'), 'Cannot reach the server. Check your connection and try again.');
    expect(await storedAuth(page)).not.toBeNull();
    expect(await rows(page).count()).toBe(1);

    await page.context().setOffline(false);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('alert').filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
    expect(await rows(page).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});

/** Waits (bounded by the context timeout) until the element's text is exactly `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
  expect((await locator.first().textContent())?.trim()).toBe(text);
}
