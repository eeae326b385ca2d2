import { bearer, login, registerUser, UA } from './factories/users.js';
import { AuditService } from '../src/audit/audit.service.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

/**
 * Every login attempt is recorded without secrets (ASVS 7.2.1, 7.1.1); nothing secret reaches the logs (7.1.1, 8.3.x).
 */
describe.each(testDatabases)('login audit and logs on %s', (db) => {
  let t: TestApp;
  let output: string[];
  let spies: jest.SpyInstance[];

  beforeAll(async () => {
    output = [];
    const capture = (chunk: unknown) => {
      output.push(String(chunk));
      return true;
    };
    spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
      jest.spyOn(console, 'log').mockImplementation((...a) => capture(a.join(' '))),
      jest.spyOn(console, 'error').mockImplementation((...a) => capture(a.join(' '))),
      jest.spyOn(console, 'warn').mockImplementation((...a) => capture(a.join(' '))),
    ];
    // The most talkative level, so the check below sees every line the service could write.
    t = await createTestApp(db, { LOG_LEVEL: 'trace', LOGIN_FAILURES_PER_ACCOUNT: '2' });
  });
  afterAll(async () => {
    await t.close();
    for (const s of spies) s.mockRestore();
  });

  const rows = () => t.dataSource.query('SELECT * FROM login_audit ORDER BY created_at, id');

  it(
    'records success, wrong password, unknown email and lock-out — with user, IP, User-Agent, time, never a ' +
      'secret',
    async () => {
      const user = await registerUser(t.http, { password: 'audit passphrase one' });
      const send = (email: string, password: string) =>
        t.http
          .post('/v1/auth/login')
          .set('User-Agent', UA.iphoneSafari)
          .set('X-Forwarded-For', '198.51.100.7')
          .send({ email, password });

      const ok = await send(user.email.toUpperCase(), user.password).expect(200);
      t.clock.advance(1000);
      await send(user.email, 'wrong passphrase one').expect(401);
      t.clock.advance(1000);
      await send('Nobody.Here@example.com', 'wrong passphrase two').expect(401);
      t.clock.advance(1000);
      await send(user.email, 'wrong passphrase three').expect(401);
      t.clock.advance(1000);
      await send(user.email, user.password).expect(429);

      const audit = await rows();
      expect(audit.map((r: { outcome: string; user_id: string | null }) => [r.outcome, r.user_id])).toEqual([
        ['success', user.id],
        ['invalid_credentials', user.id],
        ['invalid_credentials', null],
        ['invalid_credentials', user.id],
        ['locked', user.id],
      ]);
      for (const r of audit) {
        expect(r).toMatchObject({ ip_address: '198.51.100.7', user_agent: UA.iphoneSafari });
        expect(Number(r.created_at)).toBeGreaterThan(0);
        expect(r.email_hash).toMatch(/^[0-9a-f]{64}$/);
      }
      const hashes = audit.map((r: { email_hash: string }) => r.email_hash);
      expect(new Set(hashes).size).toBe(2); // one account's attempts group together, whatever the case typed
      const all = JSON.stringify(audit);
      for (const secret of [
        user.password,
        'wrong passphrase',
        ok.body.accessToken,
        ok.body.refreshToken,
        user.email,
        'nobody.here',
      ])
        expect(all).not.toContain(secret);
    },
  );

  it('purges records older than SESSION_RETENTION_DAYS', async () => {
    const user = await registerUser(t.http);
    await login(t.http, user);
    const before = (await rows()).length;
    t.clock.advance((t.config.session.retentionDays * 86_400 - 60) * 1000);
    await login(t.http, user);
    t.clock.advance(120_000);
    expect(await t.get(AuditService).purge()).toBe(before);
    expect((await rows()).map((r: { outcome: string }) => r.outcome)).toEqual(['success']);
  });

  it('writes no password, token or refresh token to the logs, even on errors', async () => {
    const user = await registerUser(t.http, { password: 'log secret passphrase' });
    const pair = await login(t.http, user);
    const next = (await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200)).body;
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200); // within the grace
    t.clock.advance(60_000);
    // reuse: logged as a warning
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(next)).expect(401);
    await t.http.post('/v1/auth/login').send({ email: user.email, password: 'log secret wrong' }).expect(401);
    await t.http
      .post('/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(`{"email":"${user.email}","password":"log secret broken`)
      .expect(400);
    const fresh = await login(t.http, user);
    await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(fresh))
      .send({ currentPassword: 'log secret wrong', newPassword: 'log secret new one' })
      .expect(403);

    const logs = output.join('\n');
    expect(logs).toMatch(/refresh token reuse/); // the capture works: something was logged
    for (const secret of [
      'log secret',
      pair.accessToken,
      pair.refreshToken,
      next.accessToken,
      next.refreshToken,
      fresh.accessToken,
    ])
      expect(logs).not.toContain(secret);
  });
});
