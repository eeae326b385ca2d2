import type { Browser, Page } from 'playwright-core';
import {
  describeInBrowser,
  launchChromium,
  listenForBrowser,
  openContext,
  pageProblems,
  saveScreenshot,
} from './utils/browser.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { UA } from './factories/users.js';

const EMAIL = 'ada.lovelace@example.com';
const PASSWORD = 'correct horse battery staple';

describeInBrowser('Swagger UI in Chromium', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;

  beforeAll(async () => {
    t = await createTestApp('sqlite');
    baseURL = await listenForBrowser(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /**
   * Expands an operation, presses "Try it out", optionally types the JSON body, executes, and returns what the page
   * shows.
   */
  async function tryItOut(page: Page, operationId: string, body?: object): Promise<{ status: string; body: string }> {
    const op = page.locator(`[id$="-${operationId}"].opblock`);
    await op.locator('.opblock-summary').first().click();
    await op.getByRole('button', { name: 'Try it out' }).click();
    if (body) await op.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await op.getByRole('button', { name: 'Execute' }).click();
    const response = op.locator('.live-responses-table .response').first();
    await response.waitFor();
    return {
      status: (await response.locator('.response-col_status').textContent())!.trim(),
      body: (await response.locator('.response-col_description pre').first().textContent())!,
    };
  }

  it('registers, logs in, authorizes with the token and lists the session — all through the UI', async () => {
    const context = await openContext(browser, baseURL, {
      userAgent: UA.macChrome,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const problems = pageProblems(page);
    await page.goto('/docs');
    await page.locator('.information-container .title').filter({ hasText: 'device-sessions' }).waitFor();

    const registered = await tryItOut(page, 'AuthController_register', {
      email: EMAIL,
      password: PASSWORD,
      name: 'Ada Lovelace',
    });
    expect(registered.status).toBe('201');
    expect(JSON.parse(registered.body)).toMatchObject({ email: EMAIL, name: 'Ada Lovelace', roles: ['user'] });

    const loggedIn = await tryItOut(page, 'AuthController_login', { email: EMAIL, password: PASSWORD });
    expect(loggedIn.status).toBe('200');
    const pair = JSON.parse(loggedIn.body);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, sessionId: expect.any(String) });

    // "Authorize": paste the access token shown in the login response.
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    // The dialog lists every scheme: the bearer token, and the OAuth clients' HTTP Basic.
    const bearer = dialog.locator('form').filter({ has: page.getByLabel('auth-bearer-value') });
    await bearer.getByLabel('auth-bearer-value').fill(pair.accessToken);
    await bearer.getByRole('button', { name: 'Apply credentials' }).click();
    // Applied, the bearer form shows its token masked and one "Remove authorization" (Basic has none).
    await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.locator('button.btn-done').first().click();

    const listed = await tryItOut(page, 'SessionsController_list');
    expect(listed.status).toBe('200');
    const sessions = JSON.parse(listed.body);
    expect(sessions).toEqual([
      expect.objectContaining({
        id: pair.sessionId,
        current: true,
        status: 'active',
        deviceName: 'Chrome on macOS',
        device: { type: 'desktop', vendor: 'Apple', model: 'Macintosh' },
        browser: { name: 'Chrome', version: '131.0.0.0' },
        ipAddress: '127.0.0.1',
        endedAt: null,
        endReason: null,
      }),
    ]);
    // The request Swagger UI sent carried the token from "Authorize".
    const curl = await page.locator('[id$="-SessionsController_list"] .curl-command').textContent();
    expect(curl).toContain(`Authorization: Bearer ${pair.accessToken}`);
    // …which the page keeps in memory only: nothing in localStorage or sessionStorage (persistAuthorization off).
    const stored = await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }])');
    expect(stored).not.toContain(pair.accessToken.split('.')[2]);
    expect(typeof stored).toBe('string');
    expect(stored).not.toContain('bearer');

    await saveScreenshot(page, 'swagger-full', { fullPage: true });
    // For the README: the operation from its header down to the response body, in one tall viewport.
    await page.setViewportSize({ width: 1100, height: 1300 });
    const op = page.locator('[id$="-SessionsController_list"]');
    await op.evaluate((element) => element.scrollIntoView());
    const top = (await op.boundingBox())!;
    const body = (await op.locator('.live-responses-table .response-col_description pre').first().boundingBox())!;
    await saveScreenshot(page, 'swagger', {
      readme: true,
      clip: { x: top.x, y: top.y, width: top.width, height: body.y + body.height + 6 - top.y },
    });
    expect(problems).toEqual([]);
    await context.close();
  });
});
