import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium, Page, PageScreenshotOptions } from 'playwright-core';
import type { TestApp } from './create-test-app.js';

/**
 * Debian's Chromium (scripts/ensure-chromium.sh installs it); Playwright's own browser downloads
 * are never used. CHROMIUM_PATH points elsewhere, e.g. on a developer's machine.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');
const README_SCREENSHOTS_DIR = join(process.cwd(), 'docs', 'screenshots');

/** Resolved to 127.0.0.1 inside the test browser only. */
const TEST_HOST = 'device-sessions.test';

const chromiumMissing = !existsSync(CHROMIUM_PATH);
const chromiumRequired = /^(true|1)$/i.test(process.env.CI ?? '');

/**
 * describe() for suites that drive Chromium. Without Chromium they are skipped with a clear
 * message so `npm test` passes on a fresh machine; under CI=true they run and fail instead.
 */
export function describeInBrowser(name: string, suite: () => void): void {
  if (chromiumMissing && !chromiumRequired) {
    console.warn(
      `Skipping "${name}": ${CHROMIUM_PATH} not found. Install it with scripts/ensure-chromium.sh ` +
        'or set CHROMIUM_PATH (under CI=true this fails instead).',
    );
    describe.skip(`${name} (skipped: ${CHROMIUM_PATH} not found)`, suite);
    return;
  }
  describe(name, suite);
}

/**
 * One headless Chromium per test file. Playwright gives every launch a fresh temporary profile
 * (--user-data-dir) and deletes it on close. Without the background-networking flags Chromium
 * keeps trying to reach Google services, which on a closed network only produces failing connections.
 */
export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(`${CHROMIUM_PATH} not found: run scripts/ensure-chromium.sh`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${TEST_HOST} 127.0.0.1`,
    ],
  });
}

/**
 * Makes the test app listen on a free loopback port (supertest keeps working on the same server)
 * and returns its URL under a non-local name: Chromium treats http://127.0.0.1 as a secure origin,
 * which would hide problems a real plain-http deployment has (e.g. CSP upgrade-insecure-requests).
 */
export async function listenForBrowser(
  t: TestApp,
  options: { port?: number; localhost?: boolean } = {},
): Promise<string> {
  await t.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://${options.localhost ? 'localhost' : TEST_HOST}:${port}`;
}

/**
 * A loopback port free right now, for an app whose PUBLIC_URL must name its own port before it
 * listens. The pages in cookie mode are served as http://localhost:<port>: Chromium counts
 * localhost as a secure context, so it keeps the `Secure` (`__Host-`) refresh cookie over plain
 * http there, as it would over https in production.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** axe-core's source, evaluated in the page (through the DevTools protocol, so the page CSP allows it). */
export const AXE_SOURCE = readFileSync(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** A browser context with bounded waits, so a broken page fails fast instead of at Jest's timeout. */
export async function openContext(
  browser: Browser,
  baseURL: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1100, height: 800 }, ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/**
 * Collects what would make the page broken for a real user: uncaught exceptions and
 * Content-Security-Policy refusals. (Chromium also logs every 4xx response as a console
 * error; those are expected in the sign-out flows and not collected.)
 */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      problems.push(message.text());
  });
  return problems;
}

/**
 * Saves a PNG under test-artifacts/ (git-ignored). With readme, and UPDATE_SCREENSHOTS=1
 * (`npm run screenshots`), also refreshes the committed copy in docs/screenshots/ — only on
 * request, so a test run never dirties the work tree.
 */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { readme?: boolean } & PageScreenshotOptions = {},
): Promise<string> {
  const { readme, ...screenshot } = options;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ ...screenshot, path });
  if (readme && process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(README_SCREENSHOTS_DIR, { recursive: true });
    copyFileSync(path, join(README_SCREENSHOTS_DIR, `${name}.png`));
  }
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.x A/AA and best practice). */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
