import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE_INTERVAL_MS } from '../src/health/database-readiness.js';
import { registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { emptyMysqlDatabase, testDatabases } from './utils/databases.js';
import { canStartMariadb, MariadbServer, startMariadb } from './utils/mariadb-server.js';

const LATEST = 'HealthHeartbeat1765000000000';
const isRoot = process.getuid?.() === 0;

async function expectNotReady(t: TestApp, why: RegExp) {
  t.clock.advance(PROBE_INTERVAL_MS);
  const res = await t.http.get('/health');
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.body).toEqual({
    statusCode: 503,
    code: 'service_unavailable',
    error: 'Service Unavailable',
    message: expect.stringMatching(why),
  });
}

async function expectReady(t: TestApp) {
  t.clock.advance(PROBE_INTERVAL_MS);
  await t.http.get('/health').expect(200);
}

/** A write the database refuses answers 503 with Retry-After and stores nothing; never a 500. */
async function expectWriteRefused(t: TestApp) {
  const email = `refused.${Date.now()}@example.com`;
  const res = await t.http.post('/v1/auth/register').send({ email, password: 'correct horse battery staple' });
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.body).toMatchObject({ code: 'service_unavailable' });
  expect(await t.dataSource.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);
}

/** Registers (each writing a few rows) until one is not 201; that answer, or undefined after 100. */
async function registerUntilRefused(t: TestApp) {
  for (let i = 0; i < 100; i += 1) {
    const res = await t.http.post('/v1/auth/register').send({
      email: `full${i}.${Date.now()}@example.com`,
      password: 'correct horse battery staple',
      name: 'x'.repeat(100),
    });
    if (res.status !== 201) return res;
  }
  return undefined;
}

describe.each(testDatabases)('readiness on %s: the schema', (db) => {
  it('is not ready on an empty schema with MIGRATIONS_RUN=false', async () => {
    const url = db === 'sqlite' ? 'sqlite::memory:' : (await emptyMysqlDatabase('_empty')).url;
    const t = await createTestApp(db, { DATABASE_URL: url, MIGRATIONS_RUN: 'false' }, { keepData: true });
    try {
      await expectNotReady(t, /schema/);
    } finally {
      await t.close();
    }
  });

  it('is not ready while a migration of the code is not applied, and ready once it is', async () => {
    const t = await createTestApp(db);
    const [row] = await t.dataSource.query('SELECT timestamp, name FROM migrations WHERE name = ?', [LATEST]);
    try {
      await expectReady(t);
      await t.dataSource.query('DELETE FROM migrations WHERE name = ?', [LATEST]);
      await expectNotReady(t, /schema/);
    } finally {
      await t.dataSource.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [row.timestamp, row.name]);
    }
    try {
      await expectReady(t);
    } finally {
      await t.close();
    }
  });
});

describe('readiness on SQLite: writes', () => {
  it('a read-only database file: not ready, and writes answer 503', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'readonly-'));
    const url = `sqlite:${join(dir, 'db.sqlite')}`;
    await (await createTestApp('sqlite', { DATABASE_URL: url })).close();
    // Root writes through file modes: the immutable flag stops it too.
    chmodSync(join(dir, 'db.sqlite'), 0o444);
    if (isRoot) execFileSync('chattr', ['+i', join(dir, 'db.sqlite')]);
    try {
      const t = await createTestApp('sqlite', { DATABASE_URL: url }, { keepData: true });
      try {
        await expectNotReady(t, /writes/);
        await expectWriteRefused(t);
      } finally {
        await t.close();
      }
    } finally {
      if (isRoot) execFileSync('chattr', ['-i', join(dir, 'db.sqlite')]);
    }
  });

  it('a full disk: writes answer 503, not ready until they commit again', async () => {
    // A 1 MiB tmpfs where we may mount one; else SQLite's own page limit, which fails the same way.
    const dir = mkdtempSync(join(tmpdir(), 'full-'));
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // not permitted here
    }
    try {
      mkdirSync(join(dir, 'db'));
      const t = await createTestApp('sqlite', { DATABASE_URL: `sqlite:${join(dir, 'db', 'db.sqlite')}` });
      try {
        await expectReady(t);
        const fill = () => {
          if (mounted)
            try {
              writeFileSync(join(dir, 'ballast'), Buffer.alloc(2 << 20));
            } catch {
              // ENOSPC: the disk is full, as wanted
            }
        };
        const [{ page_count: pages }] = await t.dataSource.query('PRAGMA page_count');
        if (mounted) fill();
        else await t.dataSource.query(`PRAGMA max_page_count = ${Number(pages)}`);
        // Each registration writes more; the first that needs space fails.
        const refused = await registerUntilRefused(t);
        expect(refused?.status).toBe(503);
        expect(refused?.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        await expectNotReady(t, /writes/);

        if (mounted) execFileSync('rm', [join(dir, 'ballast')]);
        else await t.dataSource.query('PRAGMA max_page_count = 1073741823');
        await expectReady(t);
        await registerUser(t.http);
      } finally {
        await t.close();
      }
    } finally {
      if (mounted) execFileSync('umount', [dir]);
    }
  });
});

(canStartMariadb && testDatabases.includes('mysql') ? describe : describe.skip)(
  'readiness on a private MariaDB: writes',
  () => {
    jest.setTimeout(30_000);
    let server: MariadbServer;
    beforeAll(async () => {
      server = await startMariadb(14);
      await server.root.query('CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
      await server.root.query(`CREATE USER 'app'@'%' IDENTIFIED BY 'app'`);
      await server.root.query(`GRANT ALL ON app.* TO 'app'@'%'`);
      await server.root.query(`CREATE USER 'reader'@'%' IDENTIFIED BY 'reader'`);
      await server.root.query(`GRANT SELECT ON app.* TO 'reader'@'%'`);
    }, 30_000);
    afterAll(() => server?.stop());

    const boot = (user: string) => createTestApp('mysql', { DATABASE_URL: server.url(user, user, 'app') });

    it('read_only=ON: not ready, writes answer 503, ready again when it is OFF', async () => {
      const t = await boot('app');
      try {
        await expectReady(t);
        await server.root.query('SET GLOBAL read_only = 1');
        await expectWriteRefused(t);
        await expectNotReady(t, /writes/);
        await server.root.query('SET GLOBAL read_only = 0');
        await expectReady(t);
      } finally {
        await server.root.query('SET GLOBAL read_only = 0');
        await t.close();
      }
    });

    it('a user without write grants: not ready, writes answer 503', async () => {
      await (await boot('app')).close();
      const t = await createTestApp(
        'mysql',
        { DATABASE_URL: server.url('reader', 'reader', 'app') },
        { keepData: true },
      );
      try {
        await expectNotReady(t, /writes/);
        await expectWriteRefused(t);
      } finally {
        await t.close();
      }
    });

    it('a full tablespace (InnoDB: "The table is full"): writes answer 503, not ready while they fail', async () => {
      const t = await boot('app');
      try {
        await expectReady(t);
        await server.root.query('USE app');
        await server.root.query('CREATE TABLE ballast (b VARCHAR(2000)) ENGINE=InnoDB');
        // Until not one more row fits: large statements, then small ones.
        const fillUp = async (sql: string) => {
          for (;;) {
            const full = await server.root.query(sql).then(
              () => false,
              (e: { code?: string }) => e.code === 'ER_RECORD_FILE_FULL' || Promise.reject(e as Error),
            );
            if (full) return;
          }
        };
        await fillUp(`INSERT INTO app.ballast SELECT REPEAT('x', 2000) FROM seq_1_to_500`);
        await fillUp(`INSERT INTO app.ballast SELECT REPEAT('x', 2000) FROM seq_1_to_5`);
        // What space is left (freed pages, undo) goes to the next registrations; one of them fails.
        expect((await registerUntilRefused(t))?.status).toBe(503);
        await expectNotReady(t, /writes/);
      } finally {
        await server.root.query('DROP TABLE IF EXISTS app.ballast');
        await t.close();
      }
    });
  },
);
