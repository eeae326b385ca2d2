import type { EntityManager } from 'typeorm';
import { isLockConflict } from '../src/common/filters/unavailable.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { registerUser, UA } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

const mysql = testDatabases.includes('mysql');

/**
 * Two transactions that lock the same two rows in opposite order: each takes its first lock,
 * waits until the other holds its own, then asks for the other's — a real InnoDB deadlock (1213),
 * whose victim is rolled back whole.
 */
function crossedLocks(t: TestApp, a: string, b: string) {
  const held: (() => void)[] = [];
  const bothHold = [new Promise<void>((r) => held.push(r)), new Promise<void>((r) => held.push(r))];
  const attempts: string[] = [];
  const lock = (em: EntityManager, id: string) => em.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [id]);
  const work = (name: string, first: string, second: string, i: number) => async (em: EntityManager) => {
    attempts.push(name);
    await lock(em, first);
    held[i]();
    await Promise.all(bothHold);
    await lock(em, second);
    await em.query('UPDATE users SET name = ? WHERE id IN (?, ?)', [name, a, b]);
    return name;
  };
  return { attempts, one: work('one', a, b, 0), two: work('two', b, a, 1) };
}

(mysql ? describe : describe.skip)('TransactionRunner and a real deadlock on MariaDB', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('mysql');
  });
  afterAll(() => t.close());

  it('without the runner one of the two fails with ER_LOCK_DEADLOCK (the test makes a real deadlock)', async () => {
    const [a, b] = [await registerUser(t.http), await registerUser(t.http)];
    const { one, two } = crossedLocks(t, a.id, b.id);
    const results = await Promise.allSettled([t.dataSource.transaction(one), t.dataSource.transaction(two)]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = failed[0].reason as { code?: string; errno?: number };
    expect({ code: reason.code, errno: reason.errno, conflict: isLockConflict(reason) }).toEqual({
      code: 'ER_LOCK_DEADLOCK',
      errno: 1213,
      conflict: true,
    });
  });

  it('through TransactionRunner.run the deadlock victim runs again and both commit', async () => {
    const [a, b] = [await registerUser(t.http), await registerUser(t.http)];
    const { attempts, one, two } = crossedLocks(t, a.id, b.id);
    const tx = t.get(TransactionRunner);
    expect(await Promise.all([tx.run(one), tx.run(two)])).toEqual(['one', 'two']);
    expect(attempts).toHaveLength(3);
    // The victim ran last, so its write is the one that stayed.
    const victim = attempts[2];
    const rows = await t.dataSource.query('SELECT name FROM users WHERE id IN (?, ?)', [a.id, b.id]);
    expect(rows.map((r: { name: string }) => r.name)).toEqual([victim, victim]);
  });
});

/**
 * A failed statement's log line names the error, never the statement's values: no parameters
 * (the session INSERT binds the IP, the User-Agent, the refresh token's hash and seed), no SQL
 * text, on the server's own log (issue 13 item 10; ASVS 5.0 16.2.5).
 */
describe.each(testDatabases)('a failing statement in the log on %s', (db) => {
  const logs = captureLogs();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db, { LOG_LEVEL: 'info' }, { logDestination: logs.stream });
  });
  afterAll(async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS refuse_sessions');
    await t.close();
  });

  it('an INSERT the database refuses: 500, and the error line carries no parameter, no SQL', async () => {
    const user = await registerUser(t.http);
    await t.dataSource.query(
      db === 'sqlite'
        ? "CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        : "CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions FOR EACH ROW SIGNAL SQLSTATE '45000' " +
            "SET MESSAGE_TEXT = 'refused by the test'",
    );
    const ua = `${UA.windowsFirefox} marker-${Date.now()}`;
    const res = await t.http
      .post('/v1/auth/login')
      .set('User-Agent', ua)
      .set('X-Forwarded-For', '203.0.113.77')
      .send({ email: user.email, password: user.password });
    await t.dataSource.query('DROP TRIGGER refuse_sessions');
    expect(res.status).toBe(500);
    const lines = logs.lines().filter((l) => l.reqId === res.headers['x-request-id']);
    const failure = lines.find((l) => l.msg === 'unhandled error');
    expect(failure?.err).toMatchObject({
      type: 'QueryFailedError',
      message: expect.stringContaining('refused by the test'),
    });
    const text = JSON.stringify(lines.filter((l) => l !== lines.find((x) => x.msg === 'request completed')));
    for (const leak of ['marker-', '203.0.113.77', 'INSERT', 'SELECT', '"parameters"', '"query"', '"sql"', user.id])
      expect({ leak, found: text.includes(leak) }).toEqual({ leak, found: false });
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });
});
