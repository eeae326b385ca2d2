import { bearer, login, registerUser, TokenPair, TestUser } from './factories/users.js';
import { registerAdmin } from './factories/admin.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { settle } from './utils/mail.js';

type Body = Record<string, unknown>;
type Route = {
  name: string;
  method: 'post' | 'patch' | 'delete';
  path: string;
  auth: boolean;
  valid: () => Body;
  required: string[];
  optional: string[];
  /** `{}` is a valid body here (refresh: the token then comes from the cookie). */
  emptyAllowed?: true;
};

/** Values no field of ours accepts; `null` only where the field is required (optional fields treat null as absent). */
const BAD: [string, unknown][] = [
  ['a number', 42],
  ['a boolean', true],
  ['an object', { $gt: '' }],
  ['an array', ['x']],
  ['a 10,000-character string', 'x'.repeat(10_000)],
  ['an empty string', ''],
];

/** Shaped like a mailed link's token, but never issued: judged by the route (`link_invalid`), not the validation. */
const UNKNOWN_LINK_TOKEN = 'Q'.repeat(43);

/** Bad input on every route answers 400 and changes nothing stored (ASVS 5.1.3, 5.1.4; SPEC non-negotiable). */
describe.each(testDatabases)('invalid input on every route on %s', (db) => {
  let t: TestApp;
  let user: TestUser;
  let pair: TokenPair;
  let admin: TokenPair;

  beforeAll(async () => {
    t = await createTestApp(db, { BODY_LIMIT: '65536' });
    user = await registerUser(t.http);
    pair = await login(t.http, user);
    admin = await login(t.http, await registerAdmin(t, { email: 'input.admin@example.com' }));
  });
  afterAll(() => t.close());

  /** Everything a request could change: users, sessions and the login audit, row by row. */
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all(
        ['users', 'sessions', 'login_audit', 'link_tokens'].map((table) =>
          t.dataSource.query(`SELECT * FROM ${table} ORDER BY id`),
        ),
      ),
    );

  const routes: Route[] = [
    {
      name: 'register',
      method: 'post',
      path: '/v1/auth/register',
      auth: false,
      valid: () => ({ email: 'fresh.input@example.com', password: 'correct horse battery staple', name: 'Fresh' }),
      required: ['email', 'password'],
      optional: ['name'],
    },
    {
      name: 'login',
      method: 'post',
      path: '/v1/auth/login',
      auth: false,
      valid: () => ({ email: user.email, password: user.password, deviceName: 'Laptop' }),
      required: ['email', 'password'],
      optional: ['deviceName', 'refreshTokenIn'],
    },
    {
      name: 'refresh',
      method: 'post',
      path: '/v1/auth/refresh',
      auth: false,
      valid: () => ({ refreshToken: pair.refreshToken }),
      required: [],
      optional: ['refreshToken', 'refreshTokenIn'],
      emptyAllowed: true,
    },
    {
      name: 'update profile',
      method: 'patch',
      path: '/v1/users/me',
      auth: true,
      valid: () => ({ name: 'New name' }),
      required: ['name'],
      optional: [],
    },
    {
      name: 'change password',
      method: 'post',
      path: '/v1/users/me/password',
      auth: true,
      valid: () => ({ currentPassword: user.password, newPassword: 'a brand new passphrase' }),
      required: ['currentPassword', 'newPassword'],
      optional: [],
    },
    {
      name: 'verify email',
      method: 'post',
      path: '/v1/auth/verify-email',
      auth: false,
      valid: () => ({ token: UNKNOWN_LINK_TOKEN }),
      required: ['token'],
      optional: [],
    },
    {
      name: 'this wasn’t me',
      method: 'post',
      path: '/v1/auth/not-me',
      auth: false,
      valid: () => ({ token: UNKNOWN_LINK_TOKEN }),
      required: ['token'],
      optional: [],
    },
    {
      name: 'forgot password',
      method: 'post',
      path: '/v1/auth/password/forgot',
      auth: false,
      valid: () => ({ email: user.email }),
      required: ['email'],
      optional: [],
    },
    {
      name: 'reset password',
      method: 'post',
      path: '/v1/auth/password/reset',
      auth: false,
      valid: () => ({ token: UNKNOWN_LINK_TOKEN, newPassword: 'a brand new passphrase' }),
      required: ['token', 'newPassword'],
      optional: [],
    },
    {
      name: 'rename a session',
      method: 'patch',
      path: `/v1/sessions/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
      auth: true,
      valid: () => ({ deviceName: 'Work laptop' }),
      required: ['deviceName'],
      optional: [],
    },
    {
      name: 'reauthenticate',
      method: 'post',
      path: '/v1/auth/reauthenticate',
      auth: true,
      valid: () => ({ password: user.password }),
      required: ['password'],
      optional: [],
    },
    {
      name: 'delete account',
      method: 'delete',
      path: '/v1/users/me',
      auth: true,
      valid: () => ({ password: user.password }),
      required: ['password'],
      optional: [],
    },
  ];

  const send = (route: Route, body: unknown, contentType?: string) => {
    const req = t.http[route.method](route.path);
    if (route.auth) req.set('Authorization', bearer(pair));
    if (contentType) req.set('Content-Type', contentType);
    return req.send(body as object);
  };

  const expect400Unchanged = async (route: Route, body: unknown, contentType?: string) => {
    const before = await snapshot();
    const res = await send(route, body, contentType);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { statusCode: 400, code: 'validation_failed', error: 'Bad Request', message: expect.anything() },
    });
    expect(await snapshot()).toBe(before);
  };

  // Bodies are built when the test runs: they use the user and tokens made in beforeAll.
  const cases = routes.flatMap((route) => {
    const with_ = (patch: Body) => () => ({ ...route.valid(), ...patch });
    return [
      ...[...route.required, ...route.optional].flatMap((field) =>
        BAD.map(([what, value]) => [route.name, `${field} as ${what}`, route, with_({ [field]: value })] as const),
      ),
      ...route.required.flatMap((field) => [
        [route.name, `${field} null`, route, with_({ [field]: null })] as const,
        [route.name, `${field} missing`, route, with_({ [field]: undefined })] as const,
      ]),
      [route.name, 'an unknown property', route, with_({ isAdmin: true })] as const,
      [
        route.name,
        'a prototype-pollution property',
        route,
        with_({ constructor: { prototype: { admin: true } } }),
      ] as const,
      [route.name, 'an array for the body', route, () => [route.valid()]] as const,
      [route.name, 'an empty array', route, () => []] as const,
      ...(route.emptyAllowed ? [] : [[route.name, 'an empty object', route, () => ({})] as const]),
    ];
  });

  it.each(cases)('%s: %s → 400, nothing stored', async (_, __, route, body) => {
    await expect400Unchanged(route, body());
  });

  it.each(routes.map((r) => [r.name, r] as const))(
    '%s: a JSON string, number or null body → 400, nothing stored',
    async (_, route) => {
      for (const raw of ['"a string"', '42', 'null', 'true']) await expect400Unchanged(route, raw, 'application/json');
    },
  );

  it.each([
    ['an email with a NUL byte', { email: 'nul\u0000@example.com', password: 'correct horse battery staple' }],
    [
      'an email with a right-to-left override',
      { email: 'evil\u202e@example.com', password: 'correct horse battery staple' },
    ],
    [
      'an email of 300 characters',
      { email: `${'a'.repeat(290)}@example.com`, password: 'correct horse battery staple' },
    ],
    ['an email with two @', { email: 'a@b@example.com', password: 'correct horse battery staple' }],
    ['a password of 129 emoji-free characters', { email: 'u1@example.com', password: 'x'.repeat(129) }],
    [
      'an email with a zero-width space',
      { email: 'zero\u200bwidth@example.com', password: 'correct horse battery staple' },
    ],
    ['a password of 129 emoji (516 bytes)', { email: 'u2@example.com', password: '🔑'.repeat(129) }],
    [
      'a password of 100 U+FDFA (NFKC expands past 512 bytes)',
      { email: 'u3@example.com', password: '\ufdfa'.repeat(100) },
    ],
    ['a common password', { email: 'u4@example.com', password: 'password123' }],
    ['a common password in full-width letters', { email: 'u5@example.com', password: 'ｐａｓｓｗｏｒｄ１２３' }],
    [
      'a name of 101 characters',
      { email: 'u6@example.com', password: 'correct horse battery staple', name: 'é'.repeat(101) },
    ],
    ['a name of only spaces', { email: 'u7@example.com', password: 'correct horse battery staple', name: '   ' }],
  ])('register: %s → 400, nothing stored', async (_, body) => {
    await expect400Unchanged(routes[0], body);
  });

  it.each([
    ['GET', '/v1/sessions?status=bogus', 400],
    ['GET', '/v1/sessions?status=active&status=all', 400],
    ['GET', '/v1/sessions?limit=0', 400],
    ['GET', '/v1/sessions?limit=abc', 400],
    ['GET', '/v1/sessions?limit=100000', 400],
    ['GET', '/v1/sessions?unknown=1', 400],
    ['DELETE', '/v1/sessions', 400],
    ['DELETE', '/v1/sessions?scope=everything', 400],
    ['DELETE', '/v1/sessions?scope=all&scope=others', 400],
    ['DELETE', "/v1/sessions?scope=all'--", 400],
    ['GET', '/v1/sessions/not-a-uuid', 400],
    ['DELETE', '/v1/sessions/not-a-uuid', 400],
    ['DELETE', `/v1/sessions/${'9'.repeat(36)}`, 400],
    ['DELETE', '/v1/sessions/00000000-0000-4000-8000-000000000000', 404],
  ])('%s %s → %s, nothing changed', async (method, path, status) => {
    const before = await snapshot();
    const res = await (method === 'GET' ? t.http.get(path) : t.http.delete(path)).set('Authorization', bearer(pair));
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status });
    expect(await snapshot()).toBe(before);
  });

  it.each([
    [
      'a non-admin listing sessions',
      'get',
      (): string => `/v1/admin/users/${user.id}/sessions`,
      (): TokenPair => pair,
      403,
    ],
    [
      'a non-admin revoking sessions',
      'delete',
      (): string => `/v1/admin/users/${user.id}/sessions`,
      (): TokenPair => pair,
      403,
    ],
    [
      'an admin with a dot-dot user id',
      'delete',
      (): string => '/v1/admin/users/../sessions',
      (): TokenPair => admin,
      400,
    ],
    [
      'an admin with a non-uuid user id',
      'delete',
      (): string => '/v1/admin/users/1 OR 1=1/sessions',
      (): TokenPair => admin,
      400,
    ],
    [
      'an admin with a bad status',
      'get',
      (): string => `/v1/admin/users/${user.id}/sessions?status=deleted`,
      (): TokenPair => admin,
      400,
    ],
  ] as const)('admin routes: %s → %s, nothing changed', async (_, method, path, who, status) => {
    const before = await snapshot();
    const res = await t.http[method](path()).set('Authorization', bearer(who()));
    expect(res.status).toBe(status);
    expect(await snapshot()).toBe(before);
  });

  it('still accepts the valid bodies (so every 400 above is down to the one change)', async () => {
    for (const route of routes.slice(0, 4)) expect((await send(route, route.valid())).status).toBeLessThan(300);
    expect((await send(routes[7], routes[7].valid())).status).toBe(202);
    // The reset mail is written behind the answer: let it land before the next snapshot is taken.
    await settle(t);
  });

  it.each(['verify email', 'this wasn’t me', 'reset password'])(
    '%s: a well-formed token never issued → 400 link_invalid (not validation_failed), nothing stored',
    async (name) => {
      const route = routes.find((r) => r.name === name)!;
      const before = await snapshot();
      const res = await send(route, route.valid());
      expect([res.status, res.body.code]).toEqual([400, 'link_invalid']);
      expect(await snapshot()).toBe(before);
    },
  );
});
