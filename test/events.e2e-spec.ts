import { loadConfig } from '../src/config/configuration.js';
import { SIGNATURE_HEADER, verifySignature } from '../src/events/webhook-signature.js';
import { bearer, login, registerUser, UA } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { startReceiver } from './utils/webhook-receiver.js';

const SECRET = 'webhook-secret-for-tests';

describe.each(testDatabases)('security events and signed webhooks on %s', (db) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  // Every delivery is consumed in order by exactly one test, so none leaks into the next.
  let seen = 0;
  const nextRaw = async (n = 1) => {
    await receiver.waitFor(seen + n);
    seen += n;
    return receiver.received.slice(seen - n, seen);
  };
  const next = async (n = 1) => (await nextRaw(n)).map((r) => JSON.parse(r.body));

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await createTestApp(db, {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_DELAY_MS: '5',
      WEBHOOK_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('posts session.created, signed, with newDevice only for an unseen browser + OS + device type', async () => {
    const user = await registerUser(t.http);
    const first = login(t.http, user, { ua: UA.macChrome, ip: '8.8.8.8' });
    const [request] = await nextRaw();
    const created = JSON.parse(request.body);
    const pair = await first;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-device-sessions-event']).toBe('session.created');
    expect(request.headers['x-device-sessions-delivery']).toBe(created.id);
    expect(
      verifySignature(SECRET, request.body, String(request.headers[SIGNATURE_HEADER]), Math.floor(Date.now() / 1000)),
    ).toBe(true);
    expect(
      verifySignature(
        'another-secret-entirely',
        request.body,
        String(request.headers[SIGNATURE_HEADER]),
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(false);
    expect(
      verifySignature(
        SECRET,
        request.body.replace('"newDevice":true', '"newDevice":false'),
        String(request.headers[SIGNATURE_HEADER]),
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(false);
    expect(created).toEqual({
      id: expect.any(String),
      type: 'session.created',
      occurredAt: new Date(t.clock.now()).toISOString(),
      data: {
        userId: user.id,
        newDevice: true,
        session: expect.objectContaining({
          id: pair.sessionId,
          deviceName: 'Chrome on macOS',
          ipAddress: '8.8.8.8',
          location: { country: 'US', region: null, city: null },
          status: 'active',
        }),
      },
    });

    void login(t.http, user, { ua: UA.macChrome });
    expect((await next())[0].data.newDevice).toBe(false);
    void login(t.http, user, { ua: UA.iphoneSafari });
    expect((await next())[0].data.newDevice).toBe(true);
    const other = await registerUser(t.http);
    void login(t.http, other, { ua: UA.macChrome });
    expect((await next())[0].data).toMatchObject({ userId: other.id, newDevice: true });
  });

  it('posts session.revoked with the reason and the sessions it ended', async () => {
    const user = await registerUser(t.http);
    const a = await login(t.http, user, { ua: UA.macChrome });
    const b = await login(t.http, user, { ua: UA.iphoneSafari });
    const c = await login(t.http, user, { ua: UA.windowsFirefox });
    await next(3);

    await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(204);
    expect((await next())[0]).toMatchObject({
      type: 'session.revoked',
      data: { userId: user.id, sessionIds: [b.sessionId], reason: 'remote_logout' },
    });

    await t.http.delete('/v1/sessions?scope=others').set('Authorization', bearer(a)).expect(200, { revoked: 1 });
    expect((await next())[0].data).toEqual({ userId: user.id, sessionIds: [c.sessionId], reason: 'logout_all' });

    await t.http.post('/v1/auth/logout').set('Authorization', bearer(a)).expect(204);
    expect((await next())[0].data).toEqual({ userId: user.id, sessionIds: [a.sessionId], reason: 'logout' });

    // Ending nothing new sends nothing: the next delivery is the next login's.
    await t.http.delete(`/v1/sessions/${b.sessionId}`).set('Authorization', bearer(a)).expect(401);
    void login(t.http, user);
    expect((await next())[0].type).toBe('session.created');
  });

  it('posts session.refresh_reuse and the revocation when a rotated-away refresh token comes back', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    await next();
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    t.clock.advance((t.config.session.refreshReuseGrace + 1) * 1000);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
    const got = await next(2);
    expect(got.map((e) => e.type).sort()).toEqual(['session.refresh_reuse', 'session.revoked']);
    expect(got.find((e) => e.type === 'session.refresh_reuse').data).toEqual({
      userId: user.id,
      sessionId: pair.sessionId,
    });
    expect(got.find((e) => e.type === 'session.revoked').data).toEqual({
      userId: user.id,
      sessionIds: [pair.sessionId],
      reason: 'refresh_reuse',
    });
  });

  it('retries a delivery answered with 500, same id and body, freshly signed', async () => {
    const user = await registerUser(t.http);
    receiver.replies.push(500, 503);
    await login(t.http, user);
    const [a, b, c] = await nextRaw(3);
    expect(b.body).toBe(a.body);
    expect(c.body).toBe(a.body);
    expect(c.headers['x-device-sessions-delivery']).toBe(a.headers['x-device-sessions-delivery']);
    expect(verifySignature(SECRET, c.body, String(c.headers[SIGNATURE_HEADER]), Math.floor(Date.now() / 1000))).toBe(
      true,
    );
  });

  it('does not retry a delivery the receiver refuses with 400', async () => {
    const user = await registerUser(t.http);
    receiver.replies.push(400);
    void login(t.http, user, { ua: UA.macChrome });
    const [refused] = await next();
    void login(t.http, user, { ua: UA.iphoneSafari });
    const [following] = await next();
    expect(following.id).not.toBe(refused.id);
    expect(following.data.newDevice).toBe(true);
  });

  it('never slows or fails the request: a hung receiver times out and is retried while logins go on', async () => {
    const user = await registerUser(t.http);
    receiver.replies.push('hang');
    const pair = await login(t.http, user);
    const [hung] = await nextRaw();
    // The first delivery is still unanswered, yet the API answers.
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    await login(t.http, user);
    // The hung attempt is abandoned at WEBHOOK_TIMEOUT_MS and delivered again.
    const ids = [hung, ...(await nextRaw(2))].map((r) => r.headers['x-device-sessions-delivery']);
    expect(new Set(ids).size).toBe(2);
    receiver.release();
  });
});

describe('webhook failures stay out of the request', () => {
  it('logs in, refreshes and logs out with a receiver that refuses connections', async () => {
    const dead = await startReceiver();
    const url = dead.url;
    await dead.close();
    const t = await createTestApp('sqlite', {
      WEBHOOK_URL: url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_DELAY_MS: '5',
      WEBHOOK_MAX_ATTEMPTS: '2',
    });
    try {
      const user = await registerUser(t.http);
      const pair = await login(t.http, user);
      const refreshed = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
      await t.http.post('/v1/auth/logout').set('Authorization', bearer(refreshed.body.accessToken)).expect(204);
    } finally {
      await t.close();
    }
  });
});

describe('webhook configuration', () => {
  const base = { JWT_SECRET: 'x'.repeat(32) };
  it.each([
    [
      { WEBHOOK_URL: 'http://hooks.internal/x' },
      'Invalid configuration: WEBHOOK_SECRET: WEBHOOK_SECRET must be set when WEBHOOK_URL is',
    ],
    [
      { WEBHOOK_URL: 'http://hooks.internal/x', WEBHOOK_SECRET: 'short' },
      'Invalid configuration: WEBHOOK_SECRET: WEBHOOK_SECRET must be at least 16 characters',
    ],
    [
      { WEBHOOK_URL: 'ftp://hooks.internal/x', WEBHOOK_SECRET: SECRET },
      'Invalid configuration: WEBHOOK_URL: WEBHOOK_URL must be an http(s) URL',
    ],
    [
      { WEBHOOK_TIMEOUT_MS: '10' },
      'Invalid configuration: WEBHOOK_TIMEOUT_MS: ' +
        'WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000',
    ],
    [
      { WEBHOOK_MAX_ATTEMPTS: '0' },
      'Invalid configuration: WEBHOOK_MAX_ATTEMPTS: ' +
        'WEBHOOK_MAX_ATTEMPTS must be a whole number of attempts from 1 to 10',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('defaults to no webhook', () => {
    expect(loadConfig(base).webhook).toEqual({
      url: undefined,
      secret: '',
      timeoutMs: 5000,
      maxAttempts: 5,
      retryDelayMs: 1000,
    });
  });
});
