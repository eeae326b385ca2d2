import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const NO_INTERNALS = /stack|at \S+ \(|\.ts:\d|\.js:\d|SELECT|INSERT|UPDATE|QueryFailed|SQLITE|ER_|node_modules/i;

describe.each(testDatabases)('HTTP hardening on %s (ASVS 14.4, 14.5, 7.4.1)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, { CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT: '2048' });
  });
  afterAll(() => t.close());

  it('sends the API header set on JSON answers (OWASP REST), errors included, and no x-powered-by', async () => {
    const answers = [
      await t.http.get('/health').expect(200),
      await t.http.get('/v1/auth/me').expect(401),
      await t.http.get('/v1/nope').expect(404),
      await t.http.get('/docs-json').expect(200),
    ];
    for (const res of answers) {
      expect(res.headers).toMatchObject({
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'strict-transport-security': expect.stringContaining('max-age='),
        'referrer-policy': 'no-referrer',
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it.each(['/docs', '/account/devices'])("sends helmet's page set on the HTML page %s", async (path) => {
    const res = await t.http.get(path).redirects(1).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers).toMatchObject({
      'content-security-policy': expect.stringContaining("script-src 'self'"),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // ASVS 5.0 3.4.3: a global policy with object-src 'none' and base-uri 'none'.
    expect(res.headers['content-security-policy']).toContain("object-src 'none'");
    expect(res.headers['content-security-policy']).toContain("base-uri 'none'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers CORS for an allowed origin and not for another', async () => {
    const allowed = await t.http
      .options('/v1/auth/login')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const refused = await t.http
      .options('/v1/auth/login')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await t.http.get('/health').set('Origin', 'https://evil.example');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    expect(simple.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    ['DELETE', '/v1/sessions/0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b', 'authorization'],
    ['PATCH', '/v1/users/me', 'authorization, content-type'],
    ['POST', '/v1/auth/refresh', 'content-type, x-csrf-protection, x-evil-header'],
  ])(
    'answers the preflight for %s with every method and header the API uses, listed, with credentials',
    async (method, path, headers) => {
      const res = await t.http
        .options(path)
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', headers);
      expect(res.status).toBe(204);
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
        'access-control-allow-headers': 'authorization, content-type, x-csrf-protection, x-request-id',
      });
      const actual = await t.http.get('/health').set('Origin', 'https://app.example.com');
      expect(actual.headers['access-control-allow-credentials']).toBe('true');
    },
  );

  it('refuses a body over BODY_LIMIT with 413 in the usual error shape, storing nothing', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: 'big@example.com', password: 'correct horse battery staple', name: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      statusCode: 413,
      code: 'payload_too_large',
      error: 'Payload Too Large',
      message: expect.any(String),
    });
    const [{ n }] = await t.dataSource.query(`SELECT COUNT(*) AS n FROM users WHERE email = 'big@example.com'`);
    expect(Number(n)).toBe(0);
  });

  it.each([
    ['malformed JSON', 'application/json', '{"email":'],
    ['a deeply nested body', 'application/json', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)],
    ['a form-encoded body', 'application/x-www-form-urlencoded', 'email=a%40b.c&password=x'],
    ['XML', 'application/xml', '<login><email>a@b.c</email></login>'],
    [
      'a __proto__ key',
      'application/json',
      '{"email":"p@example.com","password":"correct horse battery staple","__proto__":{"admin":true}}',
    ],
  ])('answers 4xx (never 500, no internals) for %s', async (_, type, body) => {
    const res = await t.http.post('/v1/auth/register').set('Content-Type', type).send(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toEqual({
      statusCode: res.status,
      code: expect.stringMatching(/^[a-z_]+$/),
      error: expect.any(String),
      message: expect.anything(),
    });
    expect(JSON.stringify(res.body)).not.toMatch(NO_INTERNALS);
  });

  it('shows no internals for unknown routes, methods or odd ids', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    for (const path of [
      "/v1/sessions/' OR '1'='1",
      '/v1/sessions/%00',
      `/v1/sessions/${'x'.repeat(2000)}`,
      '/v1/nope',
      '/../../etc/passwd',
    ]) {
      const res = await t.http.get(path).set('Authorization', bearer(pair));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.body)).not.toMatch(NO_INTERNALS);
    }
    const res = await t.http.put('/v1/auth/login').send({});
    expect(res.status).toBe(404);
  });

  it('marks token responses as not cacheable', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const res = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe.each(testDatabases)('SWAGGER on %s', (db) => {
  it('SWAGGER=off removes /docs and /docs-json (the API stays)', async () => {
    const t = await createTestApp(db, { SWAGGER: 'off' });
    try {
      for (const path of ['/docs', '/docs/', '/docs-json', '/docs/swagger-ui-init.js']) {
        const res = await t.http.get(path);
        expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 404, code: 'not_found' });
      }
      await t.http.get('/health').expect(200);
    } finally {
      await t.close();
    }
  });
});
