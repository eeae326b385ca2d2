import { bearer, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { expect429, randomIp } from './utils/rate-limit.js';

/** 193.0.6.139 (RIPE NCC) is NL in the bundled DB-IP database; 8.8.8.8, the address a client forges, is US. */
const REAL = '193.0.6.139';
const FORGED = '8.8.8.8';
const LOOPBACK = /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/;
/** The test's own connection comes from loopback: in the list it is the proxy nearest the service. */
const PROXIES = '127.0.0.0/8, ::1, 10.0.0.0/8';

/**
 * X-Forwarded-For chains with a forged left-most entry, for 0, 1 and 2 trusted hops and a list of
 * proxy addresses: the client IP (session, location, audit, per-IP limit) is the address the
 * nearest untrusted hop reported, never what the client wrote (SPEC TRUST_PROXY; ASVS 5.0 16.2.1).
 */
describe.each(testDatabases)('client IP behind proxies on %s', (db) => {
  it.each([
    ['false', `${FORGED}, ${REAL}`, undefined],
    ['0', `${FORGED}, ${REAL}`, undefined],
    ['true', `${FORGED}, ${REAL}`, REAL],
    ['1', `${FORGED}, ${REAL}`, REAL],
    ['1', REAL, REAL],
    ['2', `${FORGED}, ${REAL}, 10.0.0.2`, REAL],
    ['2', `${REAL}, 10.0.0.2`, REAL],
    [PROXIES, `${FORGED}, ${REAL}, 10.1.2.3`, REAL],
    [PROXIES, `${FORGED}, ${REAL}`, REAL],
    [PROXIES, `${FORGED}, ${REAL}, 10.1.2.3, 10.200.0.9`, REAL],
    [PROXIES, undefined, undefined],
  ])('TRUST_PROXY=%s, X-Forwarded-For: %s → %s', async (trust, forwardedFor, expected) => {
    const t = await createTestApp(db, { TRUST_PROXY: trust });
    try {
      const user = await registerUser(t.http);
      const req = t.http.post('/v1/auth/login');
      if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
      const pair = (await req.send({ email: user.email, password: user.password }).expect(200)).body;
      const { session } = (await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200)).body;
      const [audit] = await t.dataSource.query('SELECT ip_address FROM login_audit WHERE user_id = ?', [user.id]);
      if (expected) {
        expect(session.ipAddress).toBe(expected);
        expect(session.location).toEqual({ country: 'NL', region: null, city: null });
        expect(audit.ip_address).toBe(expected);
      } else {
        expect(session.ipAddress).toMatch(LOOPBACK);
        expect(session.location).toBeNull();
        expect(audit.ip_address).toMatch(LOOPBACK);
      }
    } finally {
      await t.close();
    }
  });

  it.each([
    ['1', (forged: string, real: string) => `${forged}, ${real}`],
    ['2', (forged: string, real: string) => `${forged}, ${real}, 10.0.0.2`],
    [PROXIES, (forged: string, real: string) => `${forged}, ${real}, 10.1.2.3`],
  ])(
    'TRUST_PROXY=%s: a new forged left-most entry on every request does not escape the per-IP limit',
    async (trust, chain) => {
      const t: TestApp = await createTestApp(db, { TRUST_PROXY: trust, RATE_LIMIT_PER_IP: '3' });
      try {
        const real = randomIp();
        const attempt = () =>
          t.http
            .post('/v1/auth/login')
            .set('X-Forwarded-For', chain(randomIp(), real))
            .send({ email: 'nobody@example.com', password: 'wrong password' });
        for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
        expect429(await attempt());
        // Another client behind the same proxies is not affected.
        const other = await t.http
          .post('/v1/auth/login')
          .set('X-Forwarded-For', chain(real, randomIp()))
          .send({ email: 'nobody@example.com', password: 'wrong password' });
        expect(other.status).toBe(401);
      } finally {
        await t.close();
      }
    },
  );
});
