import { request as httpRequest } from 'node:http';
import { ERROR_CODES } from '../src/common/api-error.js';
import { bearer, login, registerUser, TestUser, TokenPair } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const NEW_PASSWORD = 'a brand new passphrase, never seen';
const LINK = 'Q'.repeat(43);

interface Route {
  name: string;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: () => string;
  auth: boolean;
  /** A body the route accepts (built when the test runs); `null`: the route takes none. */
  valid: (() => Record<string, unknown>) | null;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const nest = (depth: number, leaf: unknown, array = true): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
};

/**
 * Every route's body, attacked: content types other than JSON, nesting past 32 levels, wrong
 * types, junk and secret-looking keys. Each answer is a 4xx with a stable code, nothing is stored,
 * and the server's own log carries no password or token and no stack trace (SPEC "Identifiers
 * and errors"; ASVS 5.0 4.1.1, 1.5.1/1.5.2 hardening, 16.2.5).
 */
describe.each(testDatabases)('request bodies on %s', (db) => {
  let t: TestApp;
  let port: number;
  let user: TestUser;
  let pair: TokenPair;
  const logs = captureLogs();

  beforeAll(async () => {
    t = await createTestApp(db, { LOG_LEVEL: 'trace', BODY_LIMIT: '65536' }, { logDestination: logs.stream });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
    user = await registerUser(t.http);
    pair = await login(t.http, user);
  });
  afterAll(() => t.close());

  const routes: Route[] = [
    {
      name: 'register',
      method: 'POST',
      path: () => '/v1/auth/register',
      auth: false,
      valid: () => ({ email: 'fresh.body@example.com', password: NEW_PASSWORD, name: 'Fresh' }),
    },
    {
      name: 'login',
      method: 'POST',
      path: () => '/v1/auth/login',
      auth: false,
      valid: () => ({ email: user.email, password: user.password }),
    },
    {
      name: 'refresh',
      method: 'POST',
      path: () => '/v1/auth/refresh',
      auth: false,
      valid: () => ({ refreshToken: pair.refreshToken }),
    },
    {
      name: 'update profile',
      method: 'PATCH',
      path: () => '/v1/users/me',
      auth: true,
      valid: () => ({ name: 'New name' }),
    },
    {
      name: 'change password',
      method: 'POST',
      path: () => '/v1/users/me/password',
      auth: true,
      valid: () => ({ currentPassword: user.password, newPassword: NEW_PASSWORD }),
    },
    { name: 'logout', method: 'POST', path: () => '/v1/auth/logout', auth: true, valid: null },
    { name: 'revoke one', method: 'DELETE', path: () => `/v1/sessions/${pair.sessionId}`, auth: true, valid: null },
    { name: 'revoke all', method: 'DELETE', path: () => '/v1/sessions?scope=all', auth: true, valid: null },
    // The mailed-link routes: a token shaped like ours but never issued, so a body that got through would be link_invalid.
    {
      name: 'verify email',
      method: 'POST',
      path: () => '/v1/auth/verify-email',
      auth: false,
      valid: () => ({ token: LINK }),
    },
    { name: 'not me', method: 'POST', path: () => '/v1/auth/not-me', auth: false, valid: () => ({ token: LINK }) },
    {
      name: 'forgot password',
      method: 'POST',
      path: () => '/v1/auth/password/forgot',
      auth: false,
      valid: () => ({ email: user.email }),
    },
    {
      name: 'reset password',
      method: 'POST',
      path: () => '/v1/auth/password/reset',
      auth: false,
      valid: () => ({ token: LINK, newPassword: NEW_PASSWORD }),
    },
  ];
  const bodyRoutes = routes.filter((r) => r.valid !== null);

  /** The request exactly as given: no header added, none left out (supertest would add a Content-Type). */
  const send = (route: Route, headers: Record<string, string>, body?: string | Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: route.method,
          path: route.path(),
          headers: {
            ...(route.auth ? { authorization: bearer(pair) } : {}),
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const snapshot = async () =>
    JSON.stringify(
      await Promise.all(
        ['users', 'user_roles', 'sessions', 'login_audit', 'link_tokens'].map((table) =>
          t.dataSource.query(`SELECT * FROM ${table} ORDER BY 1`),
        ),
      ),
    );

  const expectRefused = async (
    route: Route,
    status: number,
    code: string,
    headers: Record<string, string>,
    body?: string,
  ) => {
    const before = await snapshot();
    const res = await send(route, headers, body);
    expect({ route: route.name, status: res.status, body: res.body }).toEqual({
      route: route.name,
      status,
      body: { statusCode: status, code, error: expect.any(String), message: expect.anything() },
    });
    expect(await snapshot()).toBe(before);
    return res;
  };

  /** What no log line may carry: the passwords and tokens these bodies hold. */
  const expectCleanLog = () => {
    const text = logs.text();
    for (const secret of [user.password, NEW_PASSWORD, pair.refreshToken, pair.accessToken, 'Sup3r-secret-in-a-key'])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/"stack"|RangeError|Maximum call stack/);
    expect(logs.lines().filter((l: { level: number }) => l.level >= 50)).toEqual([]);
  };

  const NOT_JSON: [string, Record<string, string>, (json: string) => string][] = [
    ['form-encoded (curl’s default)', { 'content-type': 'application/x-www-form-urlencoded' }, (json) => json],
    [
      'form-encoded fields',
      { 'content-type': 'application/x-www-form-urlencoded' },
      (json) => new URLSearchParams(JSON.parse(json) as Record<string, string>).toString(),
    ],
    ['text/plain (a no-cors fetch)', { 'content-type': 'text/plain' }, (json) => json],
    ['text/plain with a charset', { 'content-type': 'text/plain;charset=UTF-8' }, (json) => json],
    [
      'multipart/form-data',
      { 'content-type': 'multipart/form-data; boundary=x' },
      (json) => `--x\r\nContent-Disposition: form-data; name="body"\r\n\r\n${json}\r\n--x--\r\n`,
    ],
    ['no Content-Type at all', {}, (json) => json],
    ['application/xml', { 'content-type': 'application/xml' }, (json) => `<body>${json}</body>`],
    ['a JSON-like type', { 'content-type': 'application/jsonx' }, (json) => json],
    ['application/json-patch+json', { 'content-type': 'application/json-patch+json' }, (json) => json],
    ['a 4 KB content type (never echoed)', { 'content-type': `application/${'x'.repeat(4096)}` }, (json) => json],
  ];

  it.each(NOT_JSON)('%s → 415 unsupported_media_type on every route, nothing stored', async (_, headers, encode) => {
    for (const route of routes) {
      const json = JSON.stringify(route.valid?.() ?? { email: user.email, password: user.password });
      const res = await expectRefused(route, 415, 'unsupported_media_type', headers, encode(json));
      expect(JSON.stringify(res.body)).not.toMatch(/xxxx|password|@example/);
    }
    // The session the body-less routes would have ended is still alive.
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expectCleanLog();
  });

  it.each([
    ['application/json', 'application/json'],
    ['with a charset', 'application/json; charset=utf-8'],
    ['in upper case', 'APPLICATION/JSON'],
    ['with spaces and two parameters', 'application/json ; charset=UTF-8; q=1'],
  ])('accepts %s (so every 415 above is down to the type)', async (_, type) => {
    const res = await send(routes[3], { 'content-type': type }, JSON.stringify({ name: `Via ${type.length}` }));
    expect(res.status).toBe(200);
  });

  it('accepts a body-less request without a Content-Type, or JSON with an empty body', async () => {
    const own = await login(t.http, user);
    const logout = { ...routes[5], auth: false };
    const headers = { authorization: bearer(own) };
    expect((await send(logout, { ...headers, 'content-type': 'application/json' }, '')).status).toBe(204);
    const other = await login(t.http, user);
    expect((await send(logout, { authorization: bearer(other) })).status).toBe(204);
  });

  describe('nesting', () => {
    it.each(bodyRoutes.map((r) => [r.name, r] as const))(
      '%s: 33 levels → 400 validation_failed before validation; 32 reach validation',
      async (_, route) => {
        const valid = route.valid!();
        const field = Object.keys(valid)[0];
        // The body object is level 1: a field holding 31 nested arrays reaches level 32.
        for (const [depth, deep] of [
          [31, false],
          [32, true],
        ] as const) {
          const res = await expectRefused(
            route,
            400,
            'validation_failed',
            { 'content-type': 'application/json' },
            JSON.stringify({ ...valid, [field]: nest(depth, 'x') }),
          );
          expect(JSON.stringify(res.body).includes('nested deeper than 32')).toBe(deep);
        }
      },
    );

    /** `body` as JSON with `key` holding `text` verbatim (bodies this deep are past JSON.stringify's own stack). */
    const withRaw = (body: Record<string, unknown>, key: string, text: string) =>
      JSON.stringify({ ...body, [key]: '\u0000' }).replace('"\\u0000"', text);
    const deep = (depth: number, open = '[', close = ']', leaf = '1') =>
      open.repeat(depth) + leaf + close.repeat(depth);

    it.each([
      ['an array 1,500 deep in a field (3 KB)', (v: Record<string, unknown>, f: string) => withRaw(v, f, deep(1500))],
      [
        'objects 5,000 deep in an unknown key',
        (v: Record<string, unknown>) => withRaw(v, 'a', deep(5000, '{"a":', '}')),
      ],
      ['an array 20,000 deep as the body', () => deep(20_000)],
      // In an unknown key's string value: refused as unknown, not as nested.
      [
        'brackets inside strings do not count',
        (v: Record<string, unknown>) => JSON.stringify({ ...v, note: '["\\"['.repeat(40) }),
      ],
    ])('%s → 400 on every route, no stack trace logged', async (what, build) => {
      for (const route of bodyRoutes) {
        const valid = route.valid!();
        const res = await expectRefused(
          route,
          400,
          'validation_failed',
          { 'content-type': 'application/json' },
          build(valid, Object.keys(valid)[0]),
        );
        expect(JSON.stringify(res.body).includes('nested deeper')).toBe(!what.startsWith('brackets'));
      }
      expectCleanLog();
    });
  });

  it('never quotes a rejected value or a secret-looking key in the 400 or the log', async () => {
    const register = routes[0];
    const res = await expectRefused(
      register,
      400,
      'validation_failed',
      { 'content-type': 'application/json' },
      JSON.stringify({
        ...register.valid!(),
        'Sup3r-secret-in-a-key': 1,
        [`k${'y'.repeat(5000)}`]: 2,
        name: { password: user.password },
        email: `${user.password}@`,
      }),
    );
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(user.password);
    expect(text).not.toContain('Sup3r');
    expect(text).not.toContain('yyyyyyyy');
    expect(text.length).toBeLessThan(1000);
    expect(res.body).toMatchObject({ message: expect.arrayContaining(['an unknown property should not exist']) });
    expectCleanLog();
  });

  it('fuzz: 60 mutated bodies per route, each a 4xx with a stable code, nothing stored, a clean log', async () => {
    const random = prng(13);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const junk = (): unknown =>
      pick<() => unknown>([
        () => Math.floor(random() * 1e9) - 5e8,
        () => random() < 0.5,
        () => null,
        () => [junk()],
        () => ({ [pick(['$gt', '__proto__', 'constructor', 'x', ''])]: junk() }),
        () => 'x'.repeat(Math.floor(random() * 20_000)),
        () => nest(33 + Math.floor(random() * 2000), junk()),
        () => '\u0000\u202e\ud83d',
      ])();
    const mutations: ((body: Record<string, unknown>) => unknown)[] = [
      // A field of another type (strings are the only type any field takes; null would be an absent optional field).
      (b) => ({ ...b, [pick(Object.keys(b))]: pick([42, true, ['x'], { a: 1 }, nest(40, 'x')]) }),
      (b) => ({
        ...b,
        [pick(['isAdmin', 'roles', 'userId', 'Sup3r-secret-in-a-key', '__proto__', 'x'.repeat(300)])]: junk(),
      }),
      (b) => {
        const copy = { ...b };
        delete copy[pick(Object.keys(b))];
        return { ...copy, extra: junk() };
      },
      () => pick([[], 'a string', 42, null, true, nest(50, {})]),
      (b) => ({ ...b, [pick(Object.keys(b))]: junk(), unknown: junk() }),
    ];
    const ALLOWED = new Set<string>(ERROR_CODES);
    for (const route of bodyRoutes) {
      for (let i = 0; i < 60; i++) {
        const body = pick(mutations)(route.valid!());
        const before = await snapshot();
        const type =
          random() < 0.2 ? pick(['text/plain', 'application/x-www-form-urlencoded', 'text/json']) : 'application/json';
        const res = await send(route, { 'content-type': type }, JSON.stringify(body));
        const label = `${route.name} #${i} (${type}) ${JSON.stringify(body).slice(0, 80)}`;
        expect({ label, status: res.status >= 400 && res.status < 500 }).toEqual({ label, status: true });
        expect(ALLOWED.has((res.body as { code: string }).code)).toBe(true);
        expect(await snapshot()).toBe(before);
      }
    }
    expectCleanLog();
  }, 120_000);
});
