import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { login, registerUser, TestUser, UA } from './factories/users.js';
import {
  describeInBrowser,
  freePort,
  launchChromium,
  listenForBrowser,
  openContext,
  pageProblems,
  saveScreenshot,
  seriousAxeViolations,
} from './utils/browser.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { buildMmdb } from './utils/mmdb-writer.js';

const HOUR = 3_600_000;
const ACCESS_TOKEN_TTL_MS = 900_000;
const COOKIE = '__Host-ds_refresh';
/** Anything shaped like one of our tokens: a JWT, or a refresh token (`<uuid>.<n>.<mac>`). */
const TOKEN_LIKE = /eyJ[\w-]+\.[\w-]+|[0-9a-f-]{36}\.\d+\.[\w-]{43}/;

/** Every key and value of both storages, as one string per entry. */
const storage = (page: Page) =>
  page.evaluate<string[]>(
    `[localStorage, sessionStorage].flatMap((s) => Object.keys(s).map((k) => k + '=' + s.getItem(k)))`,
  );

/** A small city database, so the page shows locations: two networks known; the documentation ranges are never looked up. */
function geoFixture(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'devices-geo-')), 'city.mmdb');
  const city = (iso: string, region: string, name: string) => ({
    country: { iso_code: iso },
    subdivisions: [{ names: { en: region } }],
    city: { names: { en: name } },
  });
  writeFileSync(
    path,
    buildMmdb([
      { cidr: '77.160.0.0/16', data: city('NL', 'North Holland', 'Amsterdam') },
      { cidr: '81.2.69.0/24', data: city('GB', 'England', 'London') },
    ]),
  );
  return path;
}

/** A plain page server on another port: another origin (same site: cookies ignore ports). */
async function pageServer(pages: Record<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const body = pages[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

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

describeInBrowser('devices page in Chromium, refresh token in the cookie', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;
  let evil: { server: Server; origin: string };
  let spa: { server: Server; origin: string };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    evil = await pageServer({
      '/': '<!doctype html><title>Another site</title><h1>Another site</h1>',
    });
    spa = await pageServer({ '/': '<!doctype html><title>Our app</title><h1>Our single-page app</h1>' });
    const port = await freePort();
    t = await createTestApp('sqlite', {
      LOGIN_FAILURES_PER_ACCOUNT: '3',
      PUBLIC_URL: `http://localhost:${port}`,
      CORS_ORIGINS: spa.origin,
      GEOIP_DB_PATH: geoFixture(),
      // The tests move the clock back (older sessions, the page's "2 hours ago" on the browser's clock);
      // an asymmetric signing key made at boot does not sign before its own start.
      JWT_ALGORITHM: 'HS256',
    });
    baseURL = await listenForBrowser(t, { port, localhost: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    evil?.server.close();
    spa?.server.close();
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
    await page.getByRole('heading', { name: /Sign in|Your devices/ }).waitFor();
    return { page, problems };
  }

  async function signIn(page: Page, user: TestUser): Promise<void> {
    await page.getByLabel('Email').fill(user.email);
    await page.locator('#login-form').getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await page.locator('#device-list[aria-busy="false"] li.session').first().waitFor();
  }

  const sessions = (page: Page) => page.locator('#device-list li.session');
  const session = (page: Page, id: string) => page.locator(`#device-list li.session[data-session-id="${id}"]`);
  const currentId = async (page: Page) =>
    (await page.locator('#device-list li.session:has(.active-here)').getAttribute('data-session-id'))!;
  const refreshCookie = async (page: Page) => (await page.context().cookies()).find((c) => c.name === COOKIE);
  const generation = async (id: string) =>
    Number(
      (await t.dataSource.query('SELECT refresh_generation AS g FROM sessions WHERE id = ?', [id]))[0].g as number,
    );

  it('refuses a wrong password with an announced error and stores nothing', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.10');
    await page.getByLabel('Email').fill(user.email);
    await page.locator('#login-form').getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert').first(), 'Wrong email or password.');
    expect(await page.locator('#devices-view').isHidden()).toBe(true);
    expect(await storage(page)).toEqual([]);
    expect(await refreshCookie(page)).toBeUndefined();
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await saveScreenshot(page, 'devices-login-error');
    expect(problems).toEqual([]);
  });

  it('tells a locked-out account when to try again', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.11');
    await page.getByLabel('Email').fill(user.email);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await page.locator('#login-form').getByLabel('Password').fill(`wrong password ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expectText(page.getByRole('alert').first(), 'Wrong email or password.');
      await page.getByRole('button', { name: 'Sign in' }).and(page.locator(':enabled')).waitFor();
    }
    await page.locator('#login-form').getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert').first(), 'Too many attempts. Try again in 15 minutes.');
    expect(await storage(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('keeps the refresh token in an HttpOnly cookie, nothing in storage, and stays signed in across a reload', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.windowsFirefox, '203.0.113.99');
    await signIn(page, user);
    await expectText(page.getByRole('status'), 'Signed in.');
    const id = await currentId(page);

    // Chromium kept the Secure __Host- cookie: http://localhost is a secure context.
    const cookie = (await refreshCookie(page))!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/', domain: 'localhost' });
    expect(cookie.value.startsWith(`${id}.`)).toBe(true);
    expect(cookie.expires * 1000).toBeGreaterThan(Date.now() + 29 * 24 * HOUR);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await storage(page)).toEqual([]);

    // A reload signs back in through the cookie, which rotates; still nothing in storage (and what
    // the page before cookie mode left in sessionStorage is dropped).
    await page.evaluate(`sessionStorage.setItem('device-sessions.auth', '{"refreshToken":"old"}')`);
    await page.reload();
    await session(page, id).waitFor();
    await expectText(page.locator('#who'), user.email);
    expect(await generation(id)).toBe(1);
    expect((await refreshCookie(page))!.value).not.toBe(cookie.value);
    expect(await storage(page)).toEqual([]);
    expect(await page.evaluate(`document.documentElement.outerHTML`)).not.toMatch(TOKEN_LIKE);

    // An expired access token is renewed through the cookie, and the action retried once.
    t.clock.advance(ACCESS_TOKEN_TTL_MS + 1_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByRole('status'), 'Device list updated.');
    expect(await generation(id)).toBe(2);
    expect(await page.getByRole('alert').first().textContent()).toBe('');
    expect(await storage(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('groups sessions by device, marks this one, and two browsers sign each other out', async () => {
    // The page counts "2 hours ago" on the browser's clock: line the server's up with it (other tests moved it).
    t.clock.advance(Date.now() - t.clock.now());
    const user = await registerUser(t.http, { email: 'grace.hopper@example.com', name: 'Grace Hopper' });
    // Older sessions, so the list shows several kinds and ages of activity; one on the same kind of laptop.
    t.clock.advance(-50 * HOUR);
    await login(t.http, user, { ua: UA.windowsFirefox, ip: '198.51.100.23' });
    t.clock.advance(47 * HOUR);
    await login(t.http, user, { ua: UA.ipad, ip: '192.0.2.44' });
    t.clock.advance(1 * HOUR);
    await login(t.http, user, { ua: UA.macChrome, ip: '81.2.69.80' });
    t.clock.advance(2 * HOUR);

    // The phone also checks the narrow layout and the dark colour scheme.
    const phone = await device(UA.iphoneSafari, '81.2.69.7', {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await signIn(phone.page, user);
    const laptop = await device(UA.macChrome, '77.160.12.10');
    await signIn(laptop.page, user);
    const phoneSession = await currentId(phone.page);
    const laptopSession = await currentId(laptop.page);

    // Four devices, five sessions; this device first, with both of its sessions and the mark.
    const devices = laptop.page.locator('#device-list > li.device');
    expect(await devices.count()).toBe(4);
    const here = devices.first();
    await expectText(here.locator('.device-name'), 'Chrome on macOSThis device');
    await expectText(here.locator('.device-details'), 'Computer · macOS 10.15.7 · Chrome 131 · 2 sessions');
    expect(await here.locator('li.session').first().getAttribute('data-session-id')).toBe(laptopSession);
    expect(await here.locator('li.session .session-where').allTextContents()).toEqual([
      'Amsterdam, North Holland, Netherlands · 77.160.12.10',
      'London, England, United Kingdom · 81.2.69.80',
    ]);
    await expectText(here.locator('li.session').first().locator('.session-when'), 'Active now, here · Signed in now');
    const older = here.locator('li.session').nth(1).locator('time').first();
    await expectText(older, 'Active 2 hours ago');
    expect(await older.getAttribute('title')).toMatch(/\d{4}.*\d{1,2}:\d{2}/);
    expect(await laptop.page.locator('#device-list .badge').count()).toBe(1);
    expect(await devices.locator('.device-name').allTextContents()).toEqual([
      'Chrome on macOSThis device',
      'Mobile Safari on iPhone',
      'Mobile Safari on iPad',
      'Firefox on Windows',
    ]);
    expect(await devices.locator('.device-icon').evaluateAll((n) => n.map((i) => i.getAttribute('data-type')))).toEqual(
      ['desktop', 'mobile', 'tablet', 'desktop'],
    );
    await expectText(
      session(laptop.page, phoneSession).locator('.session-where'),
      'London, England, United Kingdom · 81.2.69.7',
    );
    expect(await laptop.page.locator('.session-where').allTextContents()).toContain('192.0.2.44');
    expect(await seriousAxeViolations(laptop.page)).toEqual([]);
    const shell = (await laptop.page.locator('main').boundingBox())!;
    await saveScreenshot(laptop.page, 'devices', {
      readme: true,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1100, height: shell.y + shell.height },
    });

    // The phone's narrow layout has no horizontal scrolling, and passes axe too.
    await phone.page.getByRole('button', { name: 'Refresh' }).click();
    await session(phone.page, laptopSession).waitFor();
    expect(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await seriousAxeViolations(phone.page)).toEqual([]);
    await saveScreenshot(phone.page, 'devices-mobile', { readme: true, fullPage: true });

    // The laptop signs the phone out: it leaves the list at once.
    await session(laptop.page, phoneSession)
      .getByRole('button', { name: 'Sign out Mobile Safari on iPhone, 81.2.69.7', exact: true })
      .click();
    await expectText(laptop.page.getByRole('status'), 'Signed out Mobile Safari on iPhone.');
    expect(await laptop.page.evaluate('document.activeElement.id')).toBe('devices-title');
    expect(await session(laptop.page, phoneSession).count()).toBe(0);
    expect(await sessions(laptop.page).count()).toBe(4);

    // The phone's next action fails (its cookie refresh too) and lands on the login form, cookie gone.
    await phone.page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(phone.page.getByRole('alert').first(), 'Your session has ended. Please sign in again.');
    expect(await phone.page.getByLabel('Email').isVisible()).toBe(true);
    expect(await refreshCookie(phone.page)).toBeUndefined();

    // The phone signs in again and signs every other device out, after confirming.
    await signIn(phone.page, user);
    await phone.page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    const dialog = phone.page.getByRole('dialog', { name: 'Sign out of all other devices?' });
    await expectText(
      dialog.locator('p'),
      'The 4 other sessions will end at once and need to sign in again. This device stays signed in.',
    );
    expect(await seriousAxeViolations(phone.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expectText(phone.page.getByRole('status'), 'Nothing was signed out.');
    expect(await sessions(phone.page).count()).toBe(5);
    await phone.page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await expectText(phone.page.getByRole('status'), 'Signed out 4 other sessions.');
    expect(await sessions(phone.page).count()).toBe(1);
    expect(await phone.page.getByRole('button', { name: 'Sign out of all other devices' }).isHidden()).toBe(true);

    // History, behind its toggle: the ended sessions with how they ended.
    await phone.page.getByText('Signed-out sessions').click();
    const history = phone.page.locator('#history-list[aria-busy="false"] li.device-ended');
    await history.first().waitFor();
    expect(await history.count()).toBe(5);
    expect(await history.locator('.device-details').allTextContents()).toEqual(
      expect.arrayContaining(['Signed out from another device', 'Signed out of all devices']),
    );
    expect(await seriousAxeViolations(phone.page)).toEqual([]);

    // The laptop, signed out from the phone, returns to the login form on its next action.
    await laptop.page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(laptop.page.getByRole('alert').first(), 'Your session has ended. Please sign in again.');
    expect(await refreshCookie(laptop.page)).toBeUndefined();
    await laptop.page.reload();
    await laptop.page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // Signing out here ends the phone's session on the server, and the cookie with it.
    await session(phone.page, await currentId(phone.page))
      .getByRole('button', { name: /Sign out of this device/ })
      .click();
    await expectText(phone.page.getByRole('status'), 'You signed out of this device.');
    expect(await refreshCookie(phone.page)).toBeUndefined();
    expect([...phone.problems, ...laptop.problems]).toEqual([]);
  });

  it('lets no page of another origin refresh or revoke with the cookie', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.13');
    await signIn(page, user);
    const id = await currentId(page);
    const before = (await refreshCookie(page))!.value;

    // Same browser, another origin (another port on localhost: same site, so the cookie is sent).
    const other = await page.context().newPage();
    await other.goto(`${evil.origin}/`);
    const api = baseURL;
    const outcomes = await other.evaluate<string[]>(`(async () => {
      const tryFetch = (path, init) => fetch(${JSON.stringify(api)} + path, { credentials: 'include', ...init })
        .then((r) => 'answered ' + r.status, (e) => 'failed ' + e.name);
      return [
        await tryFetch('/v1/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Protection': '1' }, body: '{}' }),
        await tryFetch('/v1/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }),
        await tryFetch('/v1/sessions?scope=all', { method: 'DELETE' }),
        await tryFetch('/v1/auth/logout', { method: 'POST' }),
      ];
    })()`);
    // The preflights fail (this origin is not in CORS_ORIGINS); the simple POST reaches the API, which needs a bearer.
    expect(outcomes).toEqual(['failed TypeError', 'failed TypeError', 'failed TypeError', 'failed TypeError']);

    // A form can post without a preflight: the API takes no form or text body (415).
    for (const enctype of ['text/plain', 'application/x-www-form-urlencoded']) {
      await other.goto(`${evil.origin}/`);
      await other.evaluate(`(() => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = ${JSON.stringify(`${api}/v1/auth/refresh`)};
        form.enctype = ${JSON.stringify(enctype)};
        const input = document.createElement('input');
        input.name = '{"refreshTokenIn":"cookie","x":"';
        input.value = '"}';
        form.append(input);
        document.body.append(form);
        form.submit();
      })()`);
      await other.waitForURL(`${api}/v1/auth/refresh`);
      const answer = JSON.parse((await other.locator('body').textContent()) ?? '{}') as {
        statusCode: number;
        code: string;
      };
      expect([enctype, answer.statusCode, answer.code]).toEqual([enctype, 415, 'unsupported_media_type']);
    }

    // Nothing moved: same generation, same cookie, the session live, and the page still works.
    expect(await generation(id)).toBe(0);
    expect((await refreshCookie(page))!.value).toBe(before);
    const [{ ended_at }] = await t.dataSource.query('SELECT ended_at FROM sessions WHERE id = ?', [id]);
    expect(ended_at).toBeNull();
    await page.reload();
    await session(page, id).waitFor();
    expect(problems).toEqual([]);
  });

  it('lets a single-page app on an origin in CORS_ORIGINS use cookie mode with credentials and the CSRF header', async () => {
    const user = await registerUser(t.http);
    const context = await openContext(browser, spa.origin);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto('/');
    const result = await page.evaluate<Record<string, unknown>>(`(async () => {
      const api = ${JSON.stringify(baseURL)};
      const post = (path, body, headers = {}) => fetch(api + path, {
        method: 'POST', credentials: 'include',
        headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const login = await post('/v1/auth/login', { email: ${JSON.stringify(user.email)}, password: ${JSON.stringify(user.password)}, refreshTokenIn: 'cookie' });
      const refused = await post('/v1/auth/refresh', {});
      const refreshed = await post('/v1/auth/refresh', {}, { 'X-CSRF-Protection': '1' });
      const me = await fetch(api + '/v1/auth/me', { headers: { Authorization: 'Bearer ' + refreshed.body.accessToken } });
      return { login: login.status, loginKeys: Object.keys(login.body).sort(), refused: [refused.status, refused.body.code],
        refreshed: refreshed.status, refreshToken: refreshed.body.refreshToken ?? null, me: me.status, cookie: document.cookie };
    })()`);
    expect(result).toEqual({
      login: 200,
      loginKeys: ['accessToken', 'expiresIn', 'sessionId', 'tokenType'],
      refused: [403, 'csrf_rejected'],
      refreshed: 200,
      refreshToken: null,
      me: 200,
      cookie: '',
    });
    expect((await context.cookies()).map((c) => c.name)).toEqual([COOKIE]);
  });

  it('asks for the password when signing out another device needs a recent sign-in, then retries', async () => {
    t.clock.advance(Date.now() - t.clock.now());
    const user = await registerUser(t.http);
    const phone = await device(UA.iphoneSafari, '81.2.69.9');
    await signIn(phone.page, user);
    const laptop = await device(UA.macChrome, '77.160.12.11');
    await signIn(laptop.page, user);
    const phoneSession = await currentId(phone.page);
    t.clock.advance((t.config.auth.reauthMaxAge + 1) * 1000);

    await session(laptop.page, phoneSession)
      .getByRole('button', { name: /^Sign out Mobile Safari on iPhone/ })
      .click();
    const dialog = laptop.page.getByRole('dialog', { name: 'Confirm it’s you' });
    await dialog.waitFor();
    expect(await seriousAxeViolations(laptop.page)).toEqual([]);
    await dialog.getByLabel('Password').fill('not the password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(dialog.getByRole('alert'), 'That password is not right. Try again.');
    expect(await session(laptop.page, phoneSession).count()).toBe(1);
    await dialog.getByLabel('Password').fill(user.password);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(laptop.page.getByRole('status'), 'Signed out Mobile Safari on iPhone.');
    expect(await dialog.isHidden()).toBe(true);
    const [{ end_reason }] = await t.dataSource.query('SELECT end_reason FROM sessions WHERE id = ?', [phoneSession]);
    expect(end_reason).toBe('remote_logout');

    // Cancelling the prompt signs nobody out, and says so. (The phone, signed out, is back at its sign-in form.)
    await phone.page.reload();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(phone.page, user);
    t.clock.advance((t.config.auth.reauthMaxAge + 1) * 1000);
    await laptop.page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(laptop.page.getByRole('status'), 'Device list updated.');
    await laptop.page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    await laptop.page
      .getByRole('dialog', { name: 'Sign out of all other devices?' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expectText(laptop.page.getByRole('alert').first(), 'Nothing was signed out: your password is needed first.');
    expect(await sessions(laptop.page).count()).toBe(2);
    expect([...phone.problems, ...laptop.problems]).toEqual([]);
  });

  it('still signs in on plain http under a non-local name, where the browser refuses the Secure cookie', async () => {
    const user = await registerUser(t.http);
    const context = await openContext(browser, baseURL.replace('localhost', 'device-sessions.test'));
    contexts.push(context);
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto('/account/devices');
    await signIn(page, user);
    expect(await context.cookies()).toEqual([]);
    expect(await storage(page)).toEqual([]);
    // Nothing survives the page: a reload asks to sign in again (docs/browser-apps.md, local development).
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('alert').first().textContent()).toBe('');
    expect(problems).toEqual([]);
  });

  it('says so when the server cannot be reached, and keeps the person signed in', async () => {
    const user = await registerUser(t.http);
    const { page, problems } = await device(UA.macChrome, '203.0.113.12');
    await signIn(page, user);

    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByRole('alert').first(), 'Cannot reach the server. Check your connection and try again.');
    expect(await sessions(page).count()).toBe(1);

    await page.context().setOffline(false);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByRole('status'), 'Device list updated.');
    expect(await sessions(page).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});

/** Waits (bounded by the context timeout) until the element's text is exactly `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
  expect((await locator.first().textContent())?.trim()).toBe(text);
}
