import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, login, registerUser, type TokenPair } from './factories/users.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './utils/create-test-app.js';

const root = join(__dirname, '..');
const cli = join(root, 'dist/src/keys.js');
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());

/**
 * A 0.2 database (no signing_keys) with HS256 configuration keeps working; moving it to ES256
 * keeps its sessions (access tokens renew on refresh); `npm run keys` (the built CLI, as the
 * script runs it) rotates and revokes against the same database as a running instance.
 */
describe('upgrading from 0.2 and `npm run keys` on SQLite', () => {
  jest.setTimeout(60_000);
  let dir: string;
  let url: string;
  let t: TestApp | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keys-'));
    url = `sqlite:${join(dir, 'db.sqlite')}`;
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const boot = (env: Record<string, string>, keepData = true) =>
    createTestApp('sqlite', { DATABASE_URL: url, JWT_KEY_POLL_MS: '200', ...env }, { keepData });
  const keys = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, ...args],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  let pair: TokenPair;

  it('a 0.2 database with JWT_ALGORITHM=HS256 keeps its tokens and sessions', async () => {
    t = await boot({ JWT_ALGORITHM: 'HS256' }, false);
    pair = await login(t.http, await registerUser(t.http));
    // Back to the 0.2 schema: no signing_keys, its migration not run.
    await t.dataSource.query('DROP TABLE signing_keys');
    await t.dataSource.query("DELETE FROM migrations WHERE name = 'SigningKeys1765300000000'");
    await t.close();
    t = await boot({ JWT_ALGORITHM: 'HS256' });
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect((await t.http.get('/.well-known/jwks.json')).body).toEqual({ keys: [] });
    pair = (await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200)).body;
    expect(header(pair.accessToken).alg).toBe('HS256');
    expect(await t.dataSource.query('SELECT kid FROM signing_keys')).toEqual([]);
  });

  it('moving to ES256 keeps the session: the HS256 token is refused, a refresh gives an ES256 one', async () => {
    t = await boot({ JWT_ALGORITHM: 'ES256' });
    const refused = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(401);
    expect(refused.body.code).toBe('token_invalid');
    pair = (await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200)).body;
    expect(header(pair.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
  });

  it('`npm run keys -- rotate | list | revoke` against the database of a running instance', async () => {
    t = await boot({});
    const signing = header(pair.accessToken).kid as string;
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);

    const rotated = await keys('rotate');
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    const next = /rotation started: (\S+) is published/.exec(rotated.stdout)?.[1];
    expect(next).toEqual(expect.any(String));
    expect((await keys('rotate')).stdout).toContain(`a rotation is already under way: ${next}`);
    const listed = (await keys('list')).stdout;
    expect(listed).toMatch(new RegExp(`^${signing}\\tES256\\tsigning\\t`, 'm'));
    expect(listed).toMatch(new RegExp(`^${next}\\tES256\\tpublished\\t`, 'm'));
    const start = Date.now();
    while (!(await t.http.get('/.well-known/jwks.json')).body.keys.some((k: { kid: string }) => k.kid === next))
      await sleep(50);

    const revoked = await keys('revoke', signing);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^revoked: ${signing};`)) });
    let res = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
    while (res.status === 200 && Date.now() - start < 10_000) {
      await sleep(50);
      res = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
    }
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_invalid' });
    pair = (await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200)).body;
    expect(header(pair.accessToken).kid).not.toBe(signing);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect(await keys('revoke', signing)).toMatchObject({ code: 0, stdout: `already revoked: ${signing}\n` });
    expect(await keys('revoke', 'no-such-kid')).toMatchObject({
      code: 3,
      stderr: 'keys: no signing key no-such-kid\n',
    });
    expect((await keys('frobnicate')).code).toBe(2);
  });

  it('a changed JWT_SECRET makes a new key at start (the old one does not decrypt)', async () => {
    t = await boot({ JWT_SECRET: 'another-secret-that-is-long-enough-for-production' });
    const fresh = await login(t.http, await registerUser(t.http));
    expect(header(fresh.accessToken).kid).not.toBe(header(pair.accessToken).kid);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(fresh)).expect(200);
  });
});
