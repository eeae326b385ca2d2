import { registerUser } from './factories/users.js';
import { createTestApp, type TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

/** Issue 19.5: a login's session and its audit row commit together or not at all. */
describe.each(testDatabases)('a login that cannot write its audit row on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db);
  });
  afterAll(async () => {
    await t.dataSource.query('ALTER TABLE login_audit_gone RENAME TO login_audit').catch(() => undefined);
    await t.close();
  });

  it('answers a clean 503 with Retry-After and leaves no session behind; once the table is back, logs in', async () => {
    const user = await registerUser(t.http);
    await t.dataSource.query('ALTER TABLE login_audit RENAME TO login_audit_gone');
    for (let i = 0; i < 3; i += 1) {
      const res = await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('service_unavailable');
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(JSON.stringify(res.body)).not.toMatch(/login_audit|SQL|table/i);
    }
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [user.id]);
    expect(Number(n)).toBe(0);
    await t.dataSource.query('ALTER TABLE login_audit_gone RENAME TO login_audit');
    await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
    const [{ s }] = await t.dataSource.query('SELECT COUNT(*) AS s FROM sessions WHERE user_id = ?', [user.id]);
    const [{ a }] = await t.dataSource.query(
      "SELECT COUNT(*) AS a FROM login_audit WHERE user_id = ? AND outcome = 'success'",
      [user.id],
    );
    expect([Number(s), Number(a)]).toEqual([1, 1]);
  });
});
