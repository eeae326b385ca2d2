import { EventEmitter2 } from '@nestjs/event-emitter';
import type { SessionLocationChangedEvent } from '../src/sessions/session-events.js';
import { bearer, login, registerUser, TokenPair } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { flushTouches } from './utils/sessions.js';
import { startReceiver } from './utils/webhook-receiver.js';

const MINUTE = 60_000;
const US = '8.8.8.8';
const US_TOO = '8.8.4.4';
const NL = '193.0.6.139';

/**
 * Where a session has been (SPEC Part 2, "Account security"): `lastIpAddress` and `lastLocation`
 * start as the login's, move on a refresh from another address and on an authenticated request
 * from one (at most once a minute, with the last-activity write); a change of country emits
 * `session.location_changed`, delivered like every session event.
 */
describe.each(testDatabases)('where a session has been on %s', (db) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let events: SessionLocationChangedEvent[];
  const listener = (e: SessionLocationChangedEvent) => events.push(e);

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await createTestApp(db, { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'webhook-secret-for-tests' });
    t.get(EventEmitter2).on('session.location_changed', listener);
  });
  beforeEach(() => {
    events = [];
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const shown = async (pair: TokenPair, id = pair.sessionId) =>
    (await t.http.get(`/v1/sessions/${id}`).set('Authorization', bearer(pair)).expect(200)).body;
  const from = (pair: TokenPair, ip: string) =>
    t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).set('X-Forwarded-For', ip);
  const refreshFrom = async (pair: TokenPair, ip: string): Promise<TokenPair> =>
    (
      await t.http
        .post('/v1/auth/refresh')
        .set('X-Forwarded-For', ip)
        .send({ refreshToken: pair.refreshToken })
        .expect(200)
    ).body;

  it("starts as the login's address and location", async () => {
    const pair = await login(t.http, await registerUser(t.http), { ip: US });
    expect(await shown(pair)).toMatchObject({
      ipAddress: US,
      location: { country: 'US' },
      lastIpAddress: US,
      lastLocation: { country: 'US' },
    });
  });

  it('a refresh from another country moves it and emits session.location_changed, delivered by webhook', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user, { ip: US });
    const same = await refreshFrom(pair, US);
    expect(events).toEqual([]);
    const moved = await refreshFrom(same, NL);
    const session = await shown(moved);
    expect(session).toMatchObject({ ipAddress: US, location: { country: 'US' }, lastIpAddress: NL });
    expect(session.lastLocation).toMatchObject({ country: 'NL' });
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'session.location_changed',
        occurredAt: new Date(t.clock.now()).toISOString(),
        data: {
          userId: user.id,
          sessionId: pair.sessionId,
          from: { ipAddress: US, location: expect.objectContaining({ country: 'US' }) },
          to: { ipAddress: NL, location: expect.objectContaining({ country: 'NL' }) },
        },
      },
    ]);
    const delivery = () => receiver.received.find((r) => JSON.parse(r.body).id === events[0].id);
    for (let n = 1; !delivery(); n += 1) await receiver.waitFor(n);
    expect(JSON.parse(delivery()!.body)).toEqual(events[0]);
    expect(delivery()!.headers['x-device-sessions-event']).toBe('session.location_changed');
  });

  it('a request from another address moves it with the activity write: at most once a minute', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user, { ip: US });
    await from(pair, US).expect(200); // cached now
    // Within the minute of the login: no activity write is due, so no move either.
    await from(pair, NL).expect(200);
    await flushTouches(t);
    expect((await shown(pair)).lastIpAddress).toBe(US);

    t.clock.advance(MINUTE);
    await from(pair, NL).expect(200);
    await flushTouches(t);
    expect(await shown(pair)).toMatchObject({ lastIpAddress: NL, lastLocation: { country: 'NL' } });
    expect(events.map((e) => [e.data.sessionId, e.data.from.ipAddress, e.data.to.ipAddress])).toEqual([
      [pair.sessionId, US, NL],
    ]);
    // GET /v1/auth/me, rendered once and cached, shows the new address too (the move evicted it).
    expect((await from(pair, NL).expect(200)).body.session).toMatchObject({ lastIpAddress: NL });

    // A third address within the same minute: not recorded until the next activity write.
    t.clock.advance(MINUTE / 2);
    await from(pair, US).expect(200);
    await flushTouches(t);
    expect((await shown(pair)).lastIpAddress).toBe(NL);
    t.clock.advance(MINUTE);
    await from(pair, US).expect(200);
    await flushTouches(t);
    expect((await shown(pair)).lastIpAddress).toBe(US);
    expect(events).toHaveLength(2);
  });

  it('another address in the same country, or one with no known location, moves it without an event', async () => {
    const pair = await login(t.http, await registerUser(t.http), { ip: US });
    const next = await refreshFrom(pair, US_TOO);
    expect(await shown(next)).toMatchObject({ lastIpAddress: US_TOO, lastLocation: { country: 'US' } });
    const last = await refreshFrom(next, '10.1.2.3');
    expect(await shown(last)).toMatchObject({
      lastIpAddress: '10.1.2.3',
      lastLocation: null,
      location: { country: 'US' },
    });
    // And back from nowhere known: a country again, but no change of one that was known.
    await refreshFrom(last, NL);
    expect(events).toEqual([]);
  });

  it('an ended session does not move', async () => {
    const user = await registerUser(t.http);
    const keep = await login(t.http, user, { ip: US });
    const gone = await login(t.http, user, { ip: US });
    t.clock.advance(MINUTE);
    await from(gone, NL).expect(200);
    await t.http.delete(`/v1/sessions/${gone.sessionId}`).set('Authorization', bearer(gone)).expect(204);
    await flushTouches(t);
    expect((await shown(keep, gone.sessionId)).lastIpAddress).toBe(US);
    await t.http
      .post('/v1/auth/refresh')
      .set('X-Forwarded-For', NL)
      .send({ refreshToken: gone.refreshToken })
      .expect(401);
    expect((await shown(keep, gone.sessionId)).lastIpAddress).toBe(US);
    expect(events).toEqual([]);
  });
});
