import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { ExactEmails1764100000000 } from '../src/database/migrations/1764100000000-exact-emails.js';
import { migrations } from '../src/database/migrations/index.js';
import { PasswordHasher } from '../src/users/password-hasher.js';
import { bearer, login, registerUser } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

const PASSWORD = 'correct horse battery staple';
/** One address in the spellings people (and attackers) type: each must name the one account. */
const CANONICAL = 'ada.josé@example.com';
const SPELLINGS: [string, string][] = [
  ['upper case', 'ADA.JOSÉ@EXAMPLE.COM'],
  ['decomposed accent (NFD)', 'ada.jose\u0301@example.com'],
  ['full-width letters', 'ａｄａ．ｊｏｓé＠ｅｘａｍｐｌｅ．ｃｏｍ'],
  ['full-width upper case with spaces around', '  ＡＤＡ．ＪＯＳÉ＠ＥＸＡＭＰＬＥ．ＣＯＭ '],
];

/**
 * Emails are normalized once (NFKC, trim, lower case) and compared byte-exact on both databases:
 * every spelling of one address reaches one account and one lockout counter, none registers a
 * look-alike, and the database never merges two different addresses (ASVS 5.0 6.3.1, 6.4.x).
 */
describe.each(testDatabases)('email spellings on %s', (db) => {
  let t: TestApp;
  let id: string;
  beforeAll(async () => {
    t = await createTestApp(db, { LOGIN_FAILURES_PER_ACCOUNT: '4' });
    const res = await t.http.post('/v1/auth/register').send({ email: CANONICAL, password: PASSWORD }).expect(201);
    id = res.body.id;
    expect(res.body.email).toBe(CANONICAL);
    const [row] = await t.dataSource.query('SELECT email FROM users WHERE id = ?', [id]);
    expect(Buffer.from(row.email).equals(Buffer.from(CANONICAL.normalize('NFC')))).toBe(true);
  });
  afterAll(() => t.close());

  it.each(SPELLINGS)('%s logs in to the one account', async (_, email) => {
    const pair = await login(t.http, { id, email, password: PASSWORD });
    const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    expect(me.body.user).toMatchObject({ id, email: CANONICAL });
  });

  it.each(SPELLINGS)('%s cannot register a look-alike: 409 email_taken, nothing stored', async (_, email) => {
    const res = await t.http.post('/v1/auth/register').send({ email, password: PASSWORD });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'email_taken' });
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM users');
    expect(Number(n)).toBe(1);
  });

  it('never merges two different addresses: the unaccented one is another account', async () => {
    // utf8mb4_unicode_ci compared 'jose' and 'josé' equal: the wrong password of one account reached the other.
    const bad = await t.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', randomIp())
      .send({ email: 'ada.jose@example.com', password: PASSWORD });
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 401, code: 'invalid_credentials' });
    const other = await registerUser(t.http, { email: 'ada.jose@example.com' });
    expect(other.id).not.toBe(id);
    const pair = await login(t.http, other);
    expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(pair))).body.user.email).toBe(
      'ada.jose@example.com',
    );
  });

  it('counts every spelling in one lockout counter', async () => {
    const user = await registerUser(t.http, { email: 'lock.josé@example.com' });
    const spellings = [
      'LOCK.JOSÉ@EXAMPLE.COM',
      'lock.jose\u0301@example.com',
      'ｌｏｃｋ．ｊｏｓé＠ｅｘａｍｐｌｅ．ｃｏｍ',
      ' lock.josé@example.com',
    ];
    for (const email of spellings)
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email, password: 'wrong password!' })
        .expect(401);
    expect429(
      await t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', randomIp())
        .send({ email: user.email, password: user.password }),
    );
  });
});

/**
 * The migration to byte-exact emails on a database that already holds spellings the old rule let
 * in: each normalizes; of two accounts on one address, the one spelled canonically (else the
 * oldest) keeps it, the other keeps its old spelling, cannot log in, and its id is logged.
 */
describe.each(testDatabases)('migrating existing emails on %s', (db) => {
  let dir: string | undefined;
  let url: string;
  const before = migrations.slice(0, migrations.indexOf(ExactEmails1764100000000));

  beforeAll(async () => {
    if (db === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'emails-'));
      url = `sqlite:${join(dir, 'db.sqlite')}`;
    } else {
      const base = new URL(process.env.TEST_MYSQL_URL!);
      const name = `${base.pathname.slice(1)}_emails_w${process.env.JEST_WORKER_ID ?? '1'}`;
      const conn = await createConnection({ host: base.hostname, port: Number(base.port || 3306), user: 'root' });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await conn.end();
      base.pathname = `/${name}`;
      url = base.toString();
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('normalizes every row; of look-alikes the canonical spelling, else the oldest, keeps the address', async () => {
    const options = buildDataSourceOptions(
      db === 'sqlite'
        ? { type: 'sqlite', path: url.slice(7), migrationsRun: false }
        : { type: 'mysql', url, migrationsRun: false },
    );
    const old = await new DataSource({ ...options, migrations: before }).initialize();
    await old.runMigrations();
    const hash = await new PasswordHasher().hash(PASSWORD);
    const rows: [string, string, number][] = [
      // One address, the canonical spelling newer: it keeps the address.
      ['00000000-0000-4000-8000-00000000000a', 'dan@example.com', 2000],
      ['00000000-0000-4000-8000-00000000000b', ' dan@example.com', 1000],
      // One address, no row canonical: the oldest gets it.
      ['00000000-0000-4000-8000-00000000000c', ' erin@example.com', 2000],
      ['00000000-0000-4000-8000-00000000000d', 'Erin@Example.com', 1000],
      ['00000000-0000-4000-8000-00000000000e', 'FAY@EXAMPLE.COM', 1000],
      // SQLite compared bytes all along, so it also holds full-width look-alikes (MySQL's collation refused them).
      ...(db === 'sqlite'
        ? ([
            ['00000000-0000-4000-8000-00000000000f', 'ｇｕｓ@example.com', 1000],
            ['00000000-0000-4000-8000-000000000010', 'gus@example.com', 2000],
          ] as [string, string, number][])
        : []),
    ];
    for (const [id, email, at] of rows)
      await old.query(
        'INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?)',
        [id, email, hash, at, at],
      );
    await old.destroy();

    const logs = captureLogs();
    const t = await createTestApp(
      db,
      { DATABASE_URL: url, LOG_LEVEL: 'warn' },
      { keepData: true, logDestination: logs.stream },
    );
    try {
      const stored = Object.fromEntries(
        (await t.dataSource.query<{ id: string; email: string }[]>('SELECT id, email FROM users')).map((r) => [
          r.id.slice(-2),
          r.email,
        ]),
      );
      expect(stored).toEqual({
        '0a': 'dan@example.com',
        '0b': ' dan@example.com',
        '0c': ' erin@example.com',
        '0d': 'erin@example.com',
        '0e': 'fay@example.com',
        ...(db === 'sqlite' ? { '0f': 'ｇｕｓ@example.com', '10': 'gus@example.com' } : {}),
      });
      if (db === 'mysql') {
        const [column] = await t.dataSource.query(`SHOW FULL COLUMNS FROM users WHERE Field = 'email'`);
        expect(column.Collation).toBe('utf8mb4_bin');
      }
      const warned = logs.text();
      expect(warned).toContain(
        'users 00000000-0000-4000-8000-00000000000b have the same normalized email as user 00000000-0000-4000-8000-00000000000a',
      );
      expect(warned).toContain(
        'users 00000000-0000-4000-8000-00000000000c have the same normalized email as user 00000000-0000-4000-8000-00000000000d',
      );
      expect(warned).not.toContain('example.com');
      // Every spelling reaches the keeper; nobody can register the address over either account.
      for (const [email, keeper] of [
        [' DAN@example.com', '0a'],
        ['erin@example.com', '0d'],
      ]) {
        const pair = await login(t.http, { id: '', email, password: PASSWORD });
        const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
        expect(me.body.user.id.slice(-2)).toBe(keeper);
        await t.http.post('/v1/auth/register').send({ email, password: PASSWORD }).expect(409);
      }
    } finally {
      await t.close();
    }
  });
});
