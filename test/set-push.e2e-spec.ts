import { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED } from '../src/sessions/security-event-tokens.js';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, type TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { startSetReceiver, verifyWithJwks } from './utils/set-receiver.js';

describe.each(testDatabases)('Security Event Tokens pushed to SET_RECEIVERS (%s)', (db) => {
  let t: TestApp;
  let one: Awaited<ReturnType<typeof startSetReceiver>>;
  let two: Awaited<ReturnType<typeof startSetReceiver>>;
  beforeAll(async () => {
    [one, two] = [await startSetReceiver(), await startSetReceiver('/other/events')];
    t = await createTestApp(db, {
      SET_RECEIVERS: `${one.url},${two.url}`,
      WEBHOOK_RETRY_DELAY_MS: '20',
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([one?.close(), two?.close()]);
  });
  beforeEach(() => {
    one.received.length = 0;
    two.received.length = 0;
    one.answer(() => 202);
  });

  const jwks = async () => (await t.http.get('/.well-known/jwks.json').expect(200)).body;

  it('pushes a CAEP session-revoked SET to each receiver, signed with a key of the JWKS', async () => {
    const user = await registerUser(t.http);
    const [phone, laptop] = [await login(t.http, user), await login(t.http, user)];
    await t.http.delete(`/v1/sessions/${phone.sessionId}`).set('Authorization', bearer(laptop)).expect(204);
    const keys = await jwks();
    for (const r of [one, two]) {
      const [set] = await r.waitFor(1);
      expect(set.contentType).toBe('application/secevent+jwt');
      const { header, claims, valid } = verifyWithJwks(set.body, keys);
      expect(valid).toBe(true);
      expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'secevent+jwt' });
      expect(claims).toEqual({
        iss: t.config.auth.issuer,
        iat: expect.any(Number),
        jti: expect.any(String),
        aud: r.url,
        sub_id: {
          format: 'complex',
          user: { format: 'opaque', id: user.id },
          session: { format: 'opaque', id: phone.sessionId },
        },
        events: {
          [CAEP_SESSION_REVOKED]: {
            event_timestamp: Math.floor(t.clock.now() / 1000),
            initiating_entity: 'user',
            reason_admin: { en: 'remote_logout' },
          },
        },
      });
    }
    // A SET's signature does not survive a change of its claims.
    const set = one.received[0].body;
    const [h, , s] = set.split('.');
    const forged = Buffer.from(JSON.stringify({ ...verifyWithJwks(set, keys).claims, aud: two.url })).toString(
      'base64url',
    );
    expect(verifyWithJwks(`${h}.${forged}.${s}`, keys).valid).toBe(false);
    expect(one.received[0].body).not.toBe(two.received[0].body);
  });

  it('names each ended session with the end reason, and sends credential-change on a password change', async () => {
    const user = await registerUser(t.http);
    const [a, b, c] = [await login(t.http, user), await login(t.http, user), await login(t.http, user)];
    await t.http
      .post('/v1/users/me/password')
      .set('Authorization', bearer(a))
      .send({ currentPassword: user.password, newPassword: 'another long passphrase 42' })
      .expect(204);
    const sets = (await one.waitFor(3)).map((r) => verifyWithJwks(r.body, { keys: [] }).claims);
    const revoked = sets.filter((s) => CAEP_SESSION_REVOKED in (s.events as object));
    expect(revoked.map((s) => (s.sub_id as { session: { id: string } }).session.id).sort()).toEqual(
      [b.sessionId, c.sessionId].sort(),
    );
    expect(
      revoked.map((s) => (s.events as Record<string, { reason_admin: unknown }>)[CAEP_SESSION_REVOKED].reason_admin),
    ).toEqual([{ en: 'password_change' }, { en: 'password_change' }]);
    const changed = sets.filter((s) => CAEP_CREDENTIAL_CHANGE in (s.events as object));
    expect(changed).toHaveLength(1);
    expect(changed[0].sub_id).toEqual({ format: 'complex', user: { format: 'opaque', id: user.id } });
    expect(new Set(sets.map((s) => s.jti)).size).toBe(3);
  });

  it('retries a receiver that fails, with the same jti, and sends nothing for an expiry', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    let calls = 0;
    one.answer(() => (++calls < 3 ? 503 : 202));
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair)).expect(204);
    const sets = await one.waitFor(3);
    const jtis = sets.map((s) => verifyWithJwks(s.body, { keys: [] }).claims.jti);
    expect(new Set(jtis).size).toBe(1);
    one.received.length = 0;
    const idle = await login(t.http, user);
    t.clock.advance(t.config.session.idleTtl * 1000 + 1000);
    expect((await t.http.get('/v1/auth/me').set('Authorization', bearer(idle))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(one.received).toEqual([]);
  });
});
