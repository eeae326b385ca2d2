import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { decryptPrivateKey } from '../src/keys/key-crypto.js';
import { SigningKeys } from '../src/keys/signing-keys.js';
import { bearer, login, registerUser, type TestUser } from './factories/users.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const part = (token: string, i: 0 | 1) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString());

/** Verifies a compact JWS with node:crypto and the JWKS alone: no code of ours. */
function verifiesWithJwks(token: string, jwks: { keys: (JsonWebKey & { kid: string })[] }): boolean {
  const [h, p, s] = token.split('.');
  const header = part(token, 0);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  return header.alg === 'ES256'
    ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
    : verify(null, data, key, signature);
}

describe.each(testDatabases.flatMap((db) => (['ES256', 'EdDSA'] as const).map((alg) => [db, alg] as const)))(
  'signing keys on %s with %s (ASVS 9.1.1, 9.1.2, 11.1)',
  (db, alg) => {
    let t: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      t = await createTestApp(db, { JWT_ALGORITHM: alg, PUBLIC_URL: 'https://auth.example.com' });
      user = await registerUser(t.http);
    });
    afterAll(() => t.close());

    it('signs access tokens with kid and typ at+jwt that the JWKS verifies with node:crypto alone', async () => {
      const pair = await login(t.http, user);
      const header = part(pair.accessToken, 0);
      expect(header).toEqual({ alg, kid: expect.any(String), typ: 'at+jwt' });
      expect(Object.keys(part(pair.accessToken, 1)).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
      const res = await t.http.get('/.well-known/jwks.json').expect(200);
      const maxAge = Number(/max-age=(\d+)/.exec(res.headers['cache-control'])?.[1]);
      expect(maxAge).toBeLessThanOrEqual(1800);
      for (const key of res.body.keys) {
        expect(key).toEqual(
          alg === 'ES256'
            ? { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: key.kid, alg, use: 'sig' }
            : { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: key.kid, alg, use: 'sig' },
        );
      }
      expect(res.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
      expect(verifiesWithJwks(pair.accessToken, res.body)).toBe(true);
      await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    });

    it('publishes RFC 8414 metadata whose issuer is the tokens’ iss', async () => {
      const pair = await login(t.http, user);
      const res = await t.http.get('/.well-known/oauth-authorization-server').expect(200);
      expect(res.body).toEqual({
        issuer: part(pair.accessToken, 1).iss,
        jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
        introspection_endpoint: 'https://auth.example.com/v1/oauth/introspect',
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
        revocation_endpoint: 'https://auth.example.com/v1/oauth/revoke',
        revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    });

    it('keeps the private key encrypted at rest', async () => {
      const rows: { kid: string; private_key: string; public_jwk: string }[] = await t.dataSource.query(
        'SELECT kid, private_key, public_jwk FROM signing_keys',
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.private_key).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(row.private_key).not.toMatch(/PRIVATE KEY|"d"/);
        expect(JSON.parse(row.public_jwk)).not.toHaveProperty('d');
        // Not the key's DER in another encoding either: PKCS#8 begins with a SEQUENCE (0x30).
        for (const piece of row.private_key.split('.').slice(1))
          expect(
            Buffer.from(piece, 'base64url')
              .subarray(0, 2)
              .equals(Buffer.from([0x30, 0x81])),
          ).toBe(false);
      }
    });

    describe('refuses, with 401 token_invalid', () => {
      let claims: Record<string, unknown>;
      let header: Record<string, unknown>;
      let token: string;
      let jwks: { keys: JsonWebKey[] };
      /** Our own signing key, read back as the service reads it: header refusals are down to the header alone. */
      let ours: KeyObject;

      beforeAll(async () => {
        token = (await login(t.http, user)).accessToken;
        [header, claims] = [part(token, 0), part(token, 1)];
        jwks = (await t.http.get('/.well-known/jwks.json')).body;
        const [row] = await t.dataSource.query('SELECT private_key FROM signing_keys WHERE kid = ?', [header.kid]);
        ours = decryptPrivateKey(row.private_key, header.kid as string, t.config.keys.encryptionKey);
      });

      it('(but accepts a token signed here with that key, as a control)', async () => {
        await t.http
          .get('/v1/auth/me')
          .set('Authorization', `Bearer ${signWith(header, ours)}`)
          .expect(200);
      });

      const hmac = (h: object, key: string | Buffer) => {
        const input = `${b64(h)}.${b64(claims)}`;
        return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
      };
      /** Signed with a key of the configured algorithm that is not ours (unless `key` is given). */
      const signWith = (h: object, key?: KeyObject, override: object = {}) => {
        const input = `${b64(h)}.${b64({ ...claims, ...override })}`;
        const es = (h as { alg: string }).alg === 'ES256';
        key ??= es
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
          : generateKeyPairSync('ed25519').privateKey;
        const sig = es
          ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
          : sign(null, Buffer.from(input), key);
        return `${input}.${sig.toString('base64url')}`;
      };

      it.each([
        ['HS256 under JWT_SECRET (algorithm confusion)', () => hmac({ ...header, alg: 'HS256' }, TEST_JWT_SECRET)],
        [
          'HS256 keyed with the JWKS public key as text (algorithm confusion)',
          () => hmac({ ...header, alg: 'HS256' }, JSON.stringify(jwks.keys[0])),
        ],
        [
          'HS256 keyed with the public key as PEM (algorithm confusion)',
          () =>
            hmac(
              { ...header, alg: 'HS256' },
              createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string,
            ),
        ],
        ['alg none', () => `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`],
        ['an unknown kid', () => signWith({ ...header, kid: 'not-one-of-ours' })],
        ['no kid', () => signWith({ alg: header.alg, typ: 'at+jwt' })],
        [
          'a jwk header carrying its own key',
          () => {
            const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
            return signWith(
              { ...header, alg: 'ES256', kid: undefined, jwk: publicKey.export({ format: 'jwk' }) },
              privateKey,
            );
          },
        ],
        ['a jku header', () => signWith({ ...header, jku: 'https://attacker.example/jwks.json' }, ours)],
        ['an x5u header', () => signWith({ ...header, x5u: 'https://attacker.example/cert.pem' }, ours)],
        ['a jwk header naming our own key', () => signWith({ ...header, jwk: jwks.keys[0] }, ours)],
        ['our kid, another key', () => signWith(header)],
        ['another typ', () => signWith({ ...header, typ: 'JWT' }, ours)],
        ['no typ', () => signWith({ alg: header.alg, kid: header.kid }, ours)],
        ['another issuer', () => signWith(header, ours, { iss: 'someone-else' })],
        ['another audience', () => signWith(header, ours, { aud: 'someone-else' })],
        ['a tampered payload', () => `${token.split('.')[0]}.${b64({ ...claims, sub: 'x' })}.${token.split('.')[2]}`],
      ])('%s', async (_, make) => {
        const res = await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${make()}`).expect(401);
        expect(res.body.code).toBe('token_invalid');
        expect(res.headers['www-authenticate']).toBe('Bearer');
      });

      it('a real token with a jku header added (its signature no longer matches)', async () => {
        const [, p, s] = token.split('.');
        const res = await t.http
          .get('/v1/auth/me')
          .set('Authorization', `Bearer ${b64({ ...header, jku: 'https://x.example/' })}.${p}.${s}`)
          .expect(401);
        expect(res.body.code).toBe('token_invalid');
      });
    });

    it('exposes a signer for other modules: sign(payload, {typ}) under the current key', async () => {
      const keys = t.get(SigningKeys);
      const jws = keys.sign({ hello: 'world' }, { typ: 'secevent+jwt' });
      expect(part(jws, 0)).toEqual({ alg, kid: keys.currentKey().kid, typ: 'secevent+jwt' });
      expect(verifiesWithJwks(jws, (await t.http.get('/.well-known/jwks.json')).body)).toBe(true);
    });
  },
);

describe.each(testDatabases)('HS256 mode on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp(db, { JWT_ALGORITHM: 'HS256' })));
  afterAll(() => t.close());

  it('publishes an empty JWKS and signs as 0.2 did', async () => {
    expect((await t.http.get('/.well-known/jwks.json').expect(200)).body).toEqual({ keys: [] });
    const pair = await login(t.http, await registerUser(t.http));
    expect(part(pair.accessToken, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
  });
});

describe.each(testDatabases)('scheduled rotation on %s', (db) => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await createTestApp(db, { JWT_KEY_ROTATION_DAYS: '1', JWT_KEY_PREPUBLISH: '60', JWT_KEY_POLL_MS: '100' })),
  );
  afterAll(() => t.close());

  it('publishes the next key JWT_KEY_PREPUBLISH before the signing key turns JWT_KEY_ROTATION_DAYS old', async () => {
    const keys = t.get(SigningKeys);
    const { kid } = keys.currentKey();
    const [row] = await t.dataSource.query('SELECT activates_at FROM signing_keys WHERE kid = ?', [kid]);
    t.clock.advance(Number(row.activates_at) + 86_400_000 - 60_000 - t.clock.now());
    const deadline = Date.now() + 10_000;
    while (keys.jwks().keys.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const published = keys.jwks().keys.map((k) => k.kid);
    expect(published).toHaveLength(2);
    expect(keys.currentKey().kid).toBe(kid);
    t.clock.advance(60_000);
    const next = published.find((k) => k !== kid);
    expect(keys.currentKey().kid).toBe(next);
    const pair = await login(t.http, await registerUser(t.http));
    expect(part(pair.accessToken, 0).kid).toBe(next);
  });
});
