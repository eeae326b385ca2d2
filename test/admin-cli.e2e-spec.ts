import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkTokens } from '../src/auth/link-tokens.js';
import { ME_MAX_AGE_MS } from '../src/sessions/session-check.js';
import { bearer, login, registerUser, TokenPair } from './factories/users.js';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker, testDatabases } from './utils/databases.js';

const root = join(__dirname, '..');
const cli = join(root, 'dist/src/admin.js');
const LISTED = 'listed.boss@example.com';

/**
 * `npm run admin` (the built dist/src/admin.js, as the script runs it) against the test's own
 * database, next to a running instance; ADMIN_EMAILS counts for verified addresses only
 * (SPEC Account security; ASVS 5.0 8.2.1, 6.3.x).
 */
describe.each(testDatabases)('admin roles and `npm run admin` on %s', (db) => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let databaseUrl: string;
  let dir: string | undefined;
  beforeAll(async () => {
    if (db === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
      databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
    } else databaseUrl = await mysqlUrlForWorker();
    t = await createTestApp(db, { DATABASE_URL: databaseUrl, ADMIN_EMAILS: `someone@example.com, ${LISTED}` });
  });
  afterAll(async () => {
    await t.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const admin = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, ...args],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            NODE_ENV: 'test',
            DATABASE_URL: databaseUrl,
            JWT_SECRET: TEST_JWT_SECRET,
            ADMIN_EMAILS: `someone@example.com, ${LISTED}`,
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  const adminRoute = (pair: TokenPair, userId: string) =>
    t.http.get(`/v1/admin/users/${userId}/sessions`).set('Authorization', bearer(pair));
  const roles = async (pair: TokenPair) =>
    (await t.http.patch('/v1/users/me').set('Authorization', bearer(pair)).send({ name: 'Boss' }).expect(200)).body
      .roles;

  it('a listed address registered first is no admin; `admin grant` makes it one, `revoke` undoes it', async () => {
    const squatter = await registerUser(t.http, { email: LISTED });
    const pair = await login(t.http, squatter);
    expect(await roles(pair)).toEqual(['user']);
    const refused = await adminRoute(pair, squatter.id);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'forbidden' });
    expect(await admin('list')).toEqual({ code: 0, stdout: '(no admins)\n', stderr: '' });

    // Any spelling of the email names the account.
    const granted = await admin('grant', ` ${LISTED.toUpperCase()}`);
    expect(granted).toEqual({ code: 0, stdout: `granted: admin to user ${squatter.id}\n`, stderr: '' });
    expect((await admin('grant', LISTED)).stdout).toBe(`already granted: admin to user ${squatter.id}\n`);
    // The same token, at once: roles are read on every admin request.
    await adminRoute(pair, squatter.id).expect(200);
    expect(await roles(pair)).toEqual(['user', 'admin']);
    expect((await admin('list')).stdout).toBe(`${squatter.id}\t${LISTED}\tgrant\n`);

    expect((await admin('revoke', LISTED)).stdout).toBe(`revoked: admin of user ${squatter.id}\n`);
    await adminRoute(pair, squatter.id).expect(403);
    expect(await roles(pair)).toEqual(['user']);
    expect((await admin('revoke', LISTED)).stdout).toBe(`not granted: admin of user ${squatter.id}\n`);
  });

  it('ADMIN_EMAILS grants admin once the address is verified, and `revoke` says the role stays', async () => {
    const user = await registerUser(t.http, { email: 'someone@example.com' });
    const pair = await login(t.http, user);
    await adminRoute(pair, user.id).expect(403);
    // What email verification (a later release) will do.
    await t.dataSource.query('UPDATE users SET email_verified_at = ? WHERE id = ?', [t.clock.now(), user.id]);
    await adminRoute(pair, user.id).expect(200);
    expect(await roles(pair)).toEqual(['user', 'admin']);
    expect((await admin('list')).stdout).toContain(`${user.id}\tsomeone@example.com\tADMIN_EMAILS\n`);
    expect((await admin('revoke', 'someone@example.com')).stdout).toBe(
      `not granted: admin of user ${user.id} (still admin: ADMIN_EMAILS lists its verified address)\n`,
    );
  });

  it('GET /v1/auth/me shows a verification at once, and a grant by `npm run admin` (another process)', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const me = async () => (await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200)).body.user;
    expect(await me()).toMatchObject({ emailVerified: false, roles: ['user'] });
    const link = await t.get(LinkTokens).issue('verify_email', user.id);
    await t.http
      .post('/v1/auth/verify-email')
      .send({ token: link.slice(link.indexOf('#token=') + 7) })
      .expect(204);
    // The verification evicts the user's cached sessions (SQLite's default cache) before it answers.
    expect(await me()).toMatchObject({ emailVerified: true, roles: ['user'] });

    expect((await admin('grant', user.email)).code).toBe(0);
    await adminRoute(pair, user.id).expect(200);
    // Without a cache (MySQL's default) at once; an in-process cache hears nothing from the command,
    // and serves a rendered body at most ME_MAX_AGE_MS.
    if (db === 'mysql') expect((await me()).roles).toEqual(['user', 'admin']);
    t.clock.advance(ME_MAX_AGE_MS);
    expect((await me()).roles).toEqual(['user', 'admin']);
    expect((await admin('revoke', user.email)).code).toBe(0);
    t.clock.advance(ME_MAX_AGE_MS);
    expect((await me()).roles).toEqual(['user']);
  });

  it('a grant ends with its account: deleting the user deletes the role (a new account on the address is no admin)', async () => {
    const first = await registerUser(t.http, { email: 'gone.admin@example.com' });
    expect((await admin('grant', first.email)).code).toBe(0);
    await t.dataSource.query('DELETE FROM users WHERE id = ?', [first.id]);
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM user_roles WHERE user_id = ?', [first.id]);
    expect(Number(n)).toBe(0);
    const second = await registerUser(t.http, { email: 'gone.admin@example.com' });
    await adminRoute(await login(t.http, second), second.id).expect(403);
  });

  it('refuses an unknown email (no grant waits for an address to register) and bad usage', async () => {
    const unknown = await admin('grant', 'nobody.yet@example.com');
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'admin: No account has this email\n' });
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM user_roles');
    expect(Number(n)).toBe(0);
    for (const args of [[], ['grant'], ['promote', 'a@example.com'], ['grant', 'a@example.com', 'extra']]) {
      const res = await admin(...args);
      expect(res.code).toBe(2);
      expect(res.stderr).toBe('usage: npm run admin -- grant <email> | revoke <email> | list\n');
    }
  });
});
