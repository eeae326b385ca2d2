import { setTimeout as sleep } from 'node:timers/promises';
import { KeyRotation } from '../src/keys/key-rotation.js';
import { SigningKeys } from '../src/keys/signing-keys.js';
import { bearer, login, registerUser, type TokenPair } from './factories/users.js';
import { createTestApp, type TestApp } from './utils/create-test-app.js';
import { clearWorkerSigningKeys, testDatabases } from './utils/databases.js';
import { hammer, type Shot } from './utils/hammer.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;
const port = (t: TestApp) => (t.app.getHttpServer().address() as { port: number }).port;
const jwksKids = async (t: TestApp) =>
  ((await t.http.get('/.well-known/jwks.json').expect(200)).body.keys as { kid: string }[]).map((k) => k.kid);

/** Waits (real time, polling) until `ok` holds, at most `boundMs`; returns how long it took. */
async function within(boundMs: number, ok: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > boundMs) throw new Error(`not within ${boundMs} ms`);
    await sleep(50);
  }
  return Date.now() - start;
}

/**
 * Two instances on one MariaDB (each its own key cache and clock, as two processes): they never
 * make two signing keys, a rotation under load loses no request and signs nobody out, and a
 * revoked key is refused on both within the poll bound (a short JWT_KEY_POLL_MS here; a minute at most).
 */
(testDatabases.includes('mysql') ? describe : describe.skip)('signing keys across two instances', () => {
  jest.setTimeout(30_000);
  const POLL = { JWT_KEY_POLL_MS: '200', JWT_KEY_PREPUBLISH: '60' };
  let a: TestApp;
  let b: TestApp;

  async function boot(env: Record<string, string> = {}) {
    // One app migrates the worker's database; once it is closed (its key poll stopped), its key goes.
    await (await createTestApp('mysql', { ...POLL, ...env })).close();
    await clearWorkerSigningKeys();
    // Both start at once on the empty key table.
    [a, b] = await Promise.all([
      createTestApp('mysql', { ...POLL, ...env }, { keepData: true }),
      createTestApp('mysql', { ...POLL, ...env }, { keepData: true }),
    ]);
    b.clock.advance(a.clock.now() - b.clock.now());
    await Promise.all([a.app.listen(0, '127.0.0.1'), b.app.listen(0, '127.0.0.1')]);
  }
  let loads: ReturnType<typeof hammer>[] = [];
  afterEach(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    loads = [];
    await Promise.allSettled([a?.close(), b?.close()]);
  });
  const advance = (ms: number) => [a, b].forEach((t) => t.clock.advance(ms));

  it('two instances starting together on an empty database make one signing key', async () => {
    await boot();
    const rows = await a.dataSource.query('SELECT kid FROM signing_keys');
    expect(rows).toHaveLength(1);
    expect(a.get(SigningKeys).currentKey()).toEqual(b.get(SigningKeys).currentKey());
  });

  it('rotates under load on both instances: no request lost, nobody signed out', async () => {
    await boot();
    const user = await registerUser(a.http);
    const before = await login(a.http, user);
    const oldKid = kidOf(before.accessToken);
    loads = [a, b].map((t) => hammer(`http://127.0.0.1:${port(t)}/v1/auth/me`, bearer(before), 2));
    const started = await a.get(KeyRotation).rotate();
    expect(started).toMatchObject({ started: true });
    // Published on both before it signs.
    await within(5_000, async () => (await jwksKids(b)).includes(started.kid));
    expect(kidOf((await login(b.http, user)).accessToken)).toBe(oldKid);
    advance(61_000);
    const after = await login(b.http, user);
    expect(kidOf(after.accessToken)).toBe(started.kid);
    await a.http.get('/v1/auth/me').set('Authorization', bearer(after)).expect(200);
    // A refresh of the old pair gets a token of the new key, good on the other instance.
    const refreshed: TokenPair = (
      await a.http.post('/v1/auth/refresh').send({ refreshToken: before.refreshToken }).expect(200)
    ).body;
    expect(kidOf(refreshed.accessToken)).toBe(started.kid);
    await b.http.get('/v1/auth/me').set('Authorization', bearer(refreshed)).expect(200);
    await sleep(300);
    const shots: Shot[] = (await Promise.all(loads.map((l) => l.stop()))).flat();
    expect(shots.length).toBeGreaterThan(20);
    expect(shots.filter((s) => s.status !== 200)).toEqual([]);
    // The retired key verifies its tokens while they live, then leaves the JWKS.
    expect(await jwksKids(a)).toEqual(expect.arrayContaining([oldKid, started.kid]));
    advance(900_000 + 61_000);
    await within(5_000, async () => !(await jwksKids(a)).includes(oldKid));
    expect(await jwksKids(b)).toEqual([started.kid]);
  });

  it.each([
    ['polling', {}],
    [
      'Redis news (with a poll too slow to meet the bound)',
      { REDIS_URL: process.env.TEST_REDIS_URL ?? '', JWT_KEY_POLL_MS: '60000' },
    ],
  ])('revoking the signing key refuses its tokens on both instances within the bound (%s)', async (how, env) => {
    if (how.startsWith('Redis') && !process.env.TEST_REDIS_URL) return;
    await boot(env);
    const user = await registerUser(a.http);
    const pair = await login(a.http, user);
    const kid = kidOf(pair.accessToken);
    for (const t of [a, b]) await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    const { replacedBy } = await a.get(KeyRotation).revoke(kid);
    expect(replacedBy).toEqual(expect.any(String));
    for (const t of [a, b])
      await within(5_000, async () => {
        const res = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair));
        return res.status === 401 && res.body.code === 'token_invalid';
      });
    await within(5_000, async () => (await jwksKids(b)).join() === replacedBy);
    // The session lives on: the client refreshes and gets a token of the new key, good everywhere.
    const refreshed: TokenPair = (
      await b.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200)
    ).body;
    expect(kidOf(refreshed.accessToken)).toBe(replacedBy);
    for (const t of [a, b]) await t.http.get('/v1/auth/me').set('Authorization', bearer(refreshed)).expect(200);
  });
});
