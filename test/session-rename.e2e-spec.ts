import { bearer, login, registerUser, TokenPair, UA } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';

/** PATCH /v1/sessions/:id {deviceName} (SPEC Part 2, "Account security": rename a device). */
describe.each(testDatabases)('renaming a device on %s', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(db);
  });
  afterAll(() => t.close());

  const rename = (pair: TokenPair, id: string, body: unknown) =>
    t.http
      .patch(`/v1/sessions/${id}`)
      .set('Authorization', bearer(pair))
      .send(body as object);
  const storedName = async (id: string) =>
    (await t.dataSource.query('SELECT device_name AS v FROM sessions WHERE id = ?', [id]))[0].v;

  it('renames one of my sessions (any id case), trimmed, and GET /v1/auth/me shows it at once', async () => {
    const user = await registerUser(t.http);
    const laptop = await login(t.http, user);
    const phone = await login(t.http, user, { ua: UA.iphoneSafari });
    // Cached, with its rendered body: the rename must evict it.
    expect(
      (await t.http.get('/v1/auth/me').set('Authorization', bearer(phone)).expect(200)).body.session.deviceName,
    ).toBe('Mobile Safari on iPhone');
    const res = await rename(laptop, phone.sessionId.toUpperCase(), { deviceName: '  Ada’s phone 📱 ' }).expect(200);
    expect(res.body).toMatchObject({
      id: phone.sessionId,
      current: false,
      status: 'active',
      deviceName: 'Ada’s phone 📱',
    });
    expect(res.body.browser).toEqual({ name: 'Mobile Safari', version: '17.5' });
    expect(await storedName(phone.sessionId)).toBe('Ada’s phone 📱');
    const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(phone)).expect(200);
    expect(me.body.session.deviceName).toBe('Ada’s phone 📱');
    const own = await rename(laptop, laptop.sessionId, { deviceName: 'x'.repeat(100) }).expect(200);
    expect(own.body).toMatchObject({ current: true, deviceName: 'x'.repeat(100) });
    const listed = await t.http.get('/v1/sessions').set('Authorization', bearer(phone)).expect(200);
    expect(listed.body.map((s: { deviceName: string }) => s.deviceName).sort()).toEqual([
      'Ada’s phone 📱',
      'x'.repeat(100),
    ]);
  });

  it("another user's or an unknown id is 404; an ended session is 409 session_ended; nothing changes", async () => {
    const user = await registerUser(t.http);
    const laptop = await login(t.http, user);
    const phone = await login(t.http, user);
    const stranger = await login(t.http, await registerUser(t.http));
    for (const id of [stranger.sessionId, '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b']) {
      const res = await rename(laptop, id, { deviceName: 'Mine now' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'not_found' });
    }
    expect(await storedName(stranger.sessionId)).not.toBe('Mine now');
    await t.http.delete(`/v1/sessions/${phone.sessionId}`).set('Authorization', bearer(laptop)).expect(204);
    const ended = await rename(laptop, phone.sessionId, { deviceName: 'Too late' });
    expect({ status: ended.status, code: ended.body.code }).toEqual({ status: 409, code: 'session_ended' });
    expect(await storedName(phone.sessionId)).not.toBe('Too late');
    // Expired (past the idle limit) but not yet swept: ended too.
    const idle = await login(t.http, user);
    await t.dataSource.query('UPDATE sessions SET last_active_at = ? WHERE id = ?', [0, idle.sessionId]);
    const expired = await rename(laptop, idle.sessionId, { deviceName: 'Too late' });
    expect({ status: expired.status, code: expired.body.code }).toEqual({ status: 409, code: 'session_ended' });
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['101 characters', 'x'.repeat(101)],
    ['a NUL byte', 'Lap\u0000top'],
    ['a newline', 'Lap\ntop'],
    ['a right-to-left override', 'Lap\u202etop'],
    ['a zero-width joiner', 'Lap\u200dtop'],
    ['a line separator', 'Lap\u2028top'],
    ['a lone surrogate', 'Lap\ud800top'],
    ['a number', 42],
    ['null', null],
  ])('a name that is %s is 400 validation_failed and changes nothing', async (_, deviceName) => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const before = await storedName(pair.sessionId);
    const res = await rename(pair, pair.sessionId, { deviceName });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(await storedName(pair.sessionId)).toBe(before);
  });

  it('a login names its device by the same rules', async () => {
    const user = await registerUser(t.http);
    const res = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password, deviceName: 'Lap\u202etop' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    const ok = await login(t.http, user, { deviceName: ' Work laptop ' });
    expect(await storedName(ok.sessionId)).toBe('Work laptop');
  });
});
