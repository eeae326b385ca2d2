import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './utils/create-test-app.js';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
const API_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

describe('GET / (public): where a newcomer goes next', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(() => t.close());

  it('answers JSON with the name, the version and links, under the API header set', async () => {
    const res = await t.http.get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      name: manifest.name,
      version: manifest.version,
      links: { docs: '/docs', openapi: '/docs-json', devices: '/account/devices', health: '/health' },
    });
    expect(res.headers).toMatchObject({
      'content-security-policy': API_CSP,
      'cache-control': 'no-store',
      vary: 'accept',
    });
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('answers a browser (Accept: text/html) with a page of the same links, under the API header set', async () => {
    const res = await t.http
      .get('/')
      .set('accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    for (const href of ['/docs', '/account/devices', '/docs-json', '/health'])
      expect(res.text).toContain(`href="${href}"`);
    expect(res.text).toContain(`${manifest.name} ${manifest.version}`);
    expect(res.text).not.toMatch(/<script|<style|style=|<img/);
  });

  it('links only to pages that answer', async () => {
    const { links } = (await t.http.get('/').expect(200)).body as { links: Record<string, string> };
    for (const href of Object.values(links)) expect([href, (await t.http.get(href)).status]).toEqual([href, 200]);
  });

  it('answers HEAD, and is not part of the API document', async () => {
    await t.http.head('/').expect(200);
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(doc.paths['/']).toBeUndefined();
  });

  it('other methods on / get the usual JSON 404', async () => {
    const res = await t.http.post('/').send({}).expect(404);
    expect(res.body).toMatchObject({ statusCode: 404 });
  });
});
