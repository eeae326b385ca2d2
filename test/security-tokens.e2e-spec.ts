import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { bearer, login, registerUser, TokenPair, TestUser } from './factories/users.js';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** HS256 with the real key over any header and payload bytes, for what jsonwebtoken refuses to sign. */
const forge = (payload: string, header: object = { alg: 'HS256', typ: 'JWT' }) => {
  const signed = `${b64(header)}.${Buffer.from(payload).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', TEST_JWT_SECRET).update(signed).digest('base64url')}`;
};
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** Every forged, altered or misplaced access token gets 401 with `WWW-Authenticate: Bearer` — never 500, never 200. */
describe.each(testDatabases)('HS256 access tokens on %s (ASVS 3.5.3, 3.5.2)', (db) => {
  let t: TestApp;
  let user: TestUser;
  let pair: TokenPair;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    // HS256 mode (one service): the forgeries below sign with JWT_SECRET; ES256/EdDSA are test/keys.e2e-spec.ts's.
    t = await createTestApp(db, { JWT_ALGORITHM: 'HS256' });
    user = await registerUser(t.http);
    pair = await login(t.http, user);
    claims = JSON.parse(Buffer.from(pair.accessToken.split('.')[1], 'base64url').toString());
  });
  afterAll(() => t.close());

  /** Signs with the real key and claims, overridden as the case needs. */
  const sign = (override: Record<string, unknown> = {}, options: jwt.SignOptions = {}) =>
    jwt.sign({ ...claims, ...override }, TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true, ...options });

  const expect401 = async (authorization: string | undefined, path = '/v1/auth/me') => {
    const req = t.http.get(path);
    if (authorization !== undefined) req.set('Authorization', authorization);
    const res = await req;
    expect({ status: res.status, auth: res.headers['www-authenticate'] }).toEqual({ status: 401, auth: 'Bearer' });
    expect(res.body).toEqual({
      statusCode: 401,
      code: expect.stringMatching(/^(token_missing|token_invalid|token_expired|session_ended)$/),
      error: 'Unauthorized',
      message: expect.any(String),
    });
  };

  it('says why in a stable code: token_missing, token_invalid, token_expired, session_ended', async () => {
    const code = async (authorization?: string) => {
      const req = t.http.get('/v1/auth/me');
      if (authorization !== undefined) req.set('Authorization', authorization);
      return ((await req.expect(401)).body as { code: string }).code;
    };
    expect(await code()).toBe('token_missing');
    expect(await code('Basic abc')).toBe('token_missing');
    expect(await code(`Bearer ${forge(JSON.stringify(claims)).slice(0, -2)}xx`)).toBe('token_invalid');
    expect(await code(`Bearer ${sign({ exp: Math.floor(t.clock.now() / 1000) - 1 })}`)).toBe('token_expired');
    const own = await login(t.http, user);
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(own)).expect(204);
    expect(await code(bearer(own))).toBe('session_ended');
  });

  it('accepts the genuine token, with the scheme in any case', async () => {
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    await t.http.get('/v1/auth/me').set('Authorization', `bearer ${pair.accessToken}`).expect(200);
    await t.http.get('/v1/auth/me').set('Authorization', `BEARER ${pair.accessToken}`).expect(200);
    // A token we sign the same way is accepted too, so every refusal below is down to the one thing changed.
    await t.http.get('/v1/auth/me').set('Authorization', bearer(sign())).expect(200);
  });

  it.each([
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    [
      'alg None with the real signature',
      () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims)}.${pair.accessToken.split('.')[2]}`,
    ],
    ['HS384 with the right key', () => sign({}, { algorithm: 'HS384' })],
    ['HS512 with the right key', () => sign({}, { algorithm: 'HS512' })],
    ['RS256 with a made-up key', () => jwt.sign(claims, rsa, { algorithm: 'RS256', noTimestamp: true })],
    ['ES256 with a made-up key', () => jwt.sign(claims, ec, { algorithm: 'ES256', noTimestamp: true })],
    [
      'HS256 with a wrong key',
      () => jwt.sign(claims, 'another-secret-that-is-long-enough-for-hs256', { noTimestamp: true }),
    ],
    [
      'a tampered payload (sub changed, signature kept)',
      () => {
        const [h, , s] = pair.accessToken.split('.');
        return `${h}.${b64({ ...claims, sub: 'someone-else' })}.${s}`;
      },
    ],
    ['a truncated signature', () => pair.accessToken.slice(0, -4)],
    ['no signature', () => pair.accessToken.split('.').slice(0, 2).join('.') + '.'],
  ])('refuses %s', async (_, token) => {
    await expect401(bearer(token()));
  });

  it('refuses an expired token (clock moved past exp) and one not valid yet (nbf)', async () => {
    await expect401(bearer(sign({ exp: Math.floor(t.clock.now() / 1000) - 1 })));
    await expect401(bearer(sign({ nbf: Math.floor(Date.now() / 1000) + 3600 })));
    const fresh = await login(t.http, user);
    // Verified once, so remembered (VerifiedTokens) until exp; at exp itself it is still remembered, and refused.
    await t.http.get('/v1/auth/me').set('Authorization', bearer(fresh)).expect(200);
    const { exp } = JSON.parse(Buffer.from(fresh.accessToken.split('.')[1], 'base64url').toString()) as { exp: number };
    const step = exp * 1000 - t.clock.now();
    t.clock.advance(step);
    try {
      await expect401(bearer(fresh));
    } finally {
      t.clock.advance(-step);
    }
  });

  it.each([
    ['a wrong issuer', { iss: 'evil' }],
    ['a wrong audience', { aud: 'other-service' }],
    ['no sid', { sid: undefined }],
    ['an unknown sid', { sid: '00000000-0000-4000-8000-000000000000' }],
    ['a sid that is not a string', { sid: 42 }],
    ['an SQL-looking sid', { sid: "' OR '1'='1" }],
    ['no sub', { sub: undefined }],
  ])('refuses %s, on every use', async (_, override) => {
    // The second use finds the signature already verified (VerifiedTokens); the claims are checked again.
    const token = bearer(sign(override));
    await expect401(token);
    await expect401(token);
  });

  it('verifies a token once, then only checks its claims and session; an altered copy is verified afresh', async () => {
    const verifier = jest.spyOn(Strategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
    try {
      const p = await login(t.http, user);
      for (let k = 0; k < 3; k++) await t.http.get('/v1/auth/me').set('Authorization', bearer(p)).expect(200);
      expect(verifier).toHaveBeenCalledTimes(1);
      const [h, , s] = p.accessToken.split('.');
      await expect401(bearer(`${h}.${b64({ ...claims, sid: p.sessionId, sub: 'someone-else' })}.${s}`));
      expect(verifier).toHaveBeenCalledTimes(2);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(p)).expect(204);
      await expect401(bearer(p));
      expect(verifier).toHaveBeenCalledTimes(2);
    } finally {
      verifier.mockRestore();
    }
  });

  it('refuses a token without exp, or with exp as a string', async () => {
    await t.http
      .get('/v1/auth/me')
      .set('Authorization', bearer(forge(JSON.stringify(claims))))
      .expect(200);
    await expect401(bearer(forge(JSON.stringify({ ...claims, exp: undefined }))));
    await expect401(bearer(forge(JSON.stringify({ ...claims, exp: String(claims.exp) }))));
  });

  it("refuses a token carrying another user's session id", async () => {
    const other = await login(t.http, await registerUser(t.http));
    await expect401(bearer(sign({ sid: other.sessionId })));
    await expect401(
      bearer(sign({ sub: (await t.http.get('/v1/auth/me').set('Authorization', bearer(other))).body.user.id })),
    );
  });

  it('refuses the token of a deleted user', async () => {
    const gone = await registerUser(t.http);
    const goneTokens = await login(t.http, gone);
    await t.dataSource.query('DELETE FROM sessions WHERE user_id = ?', [gone.id]);
    await t.dataSource.query('DELETE FROM users WHERE id = ?', [gone.id]);
    await expect401(bearer(goneTokens));
  });

  it.each([
    ['a JSON string', '"just a string"'],
    ['a JSON array', '[{"sub":"u","sid":"s","exp":9999999999}]'],
    ['a number', '42'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
    ['an empty object', '{}'],
    ['not JSON at all', 'not json'],
  ])('refuses a correctly signed payload that is %s', async (_, payload) => {
    await expect401(bearer(forge(payload)));
  });

  it.each([
    ['a kid pointing at a file', { kid: '../../../../dev/null' }],
    ['a jku pointing at an attacker', { jku: 'https://attacker.example/jwks.json' }],
    ['an embedded jwk', { jwk: { kty: 'oct', k: b64('attacker key') } }],
    ['an x5u header', { x5u: 'https://attacker.example/cert.pem' }],
  ])('ignores %s: the key never comes from the token', async (_, header) => {
    // Signed with an attacker key the header points at: refused.
    await expect401(
      bearer(
        jwt.sign(claims, 'attacker key that is long enough!!', {
          noTimestamp: true,
          header: { alg: 'HS256', ...header },
        }),
      ),
    );
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a token without a scheme', '__TOKEN__'],
    ['two tokens', 'Bearer __TOKEN__ __TOKEN__'],
    ['a comma-joined second scheme', 'Bearer __TOKEN__, Basic abc'],
    ['a token with two parts', 'Bearer aaa.bbb'],
    ['a token with four parts', 'Bearer __TOKEN__.x'],
    ['non-base64url characters', 'Bearer a$b.c%d.e&f'],
    ['an oversized token (6 KiB, over the 4 KiB cap)', `Bearer ${'a'.repeat(3 * 1024)}.${'b'.repeat(3 * 1024)}.c`],
  ])('refuses %s', async (_, header) => {
    await expect401(header?.replace(/__TOKEN__/g, pair.accessToken));
  });

  it('leaves a header over 16 KiB to Node: 431, nothing reaches the app', async () => {
    const res = await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${'a'.repeat(20 * 1024)}`);
    expect(res.status).toBe(431);
  });

  it('does not take a token from the query string or a cookie', async () => {
    await expect401(undefined, `/v1/auth/me?access_token=${pair.accessToken}`);
    await expect401(undefined, `/v1/auth/me?token=${pair.accessToken}`);
    const res = await t.http.get('/v1/auth/me').set('Cookie', `access_token=${pair.accessToken}`);
    expect(res.status).toBe(401);
  });

  it('stops accepting the token the moment its session ends', async () => {
    const p = await login(t.http, user);
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(p)).expect(204);
    await expect401(bearer(p));
  });
});
