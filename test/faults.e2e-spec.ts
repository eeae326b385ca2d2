import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker } from './utils/databases.js';
import { TcpProxy } from './utils/tcp-proxy.js';

const mysql = process.env.TEST_MYSQL_URL ? describe : describe.skip;

/** The database goes away under a running app: everything fails closed with 503, and comes back without a restart. */
mysql('faults fail closed (MySQL behind a TCP proxy we cut)', () => {
  let t: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const url = new URL(await mysqlUrlForWorker());
    proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    t = await createTestApp('mysql', { DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await t.close();
    await proxy.stop();
  });

  const expectUnavailable = (res: { status: number; body: unknown; headers: Record<string, string> }) => {
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      statusCode: 503,
      code: 'service_unavailable',
      error: 'Service Unavailable',
      message: expect.any(String),
    });
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONN|SELECT|mysql|at .*\.js|sessions|users/i);
  };

  it('answers 503 on authenticated and public routes and /health while cut, then recovers', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);

    await proxy.cut();
    expectUnavailable(await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)));
    expectUnavailable(await t.http.get('/v1/sessions').set('Authorization', bearer(pair)));
    expectUnavailable(await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair)));
    expectUnavailable(await t.http.post('/v1/auth/login').send({ email: user.email, password: user.password }));
    expectUnavailable(
      await t.http
        .post('/v1/auth/register')
        .send({ email: 'new.during.outage@example.com', password: 'correct horse battery staple' }),
    );
    expectUnavailable(await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }));
    expectUnavailable(await t.http.patch('/v1/users/me').set('Authorization', bearer(pair)).send({ name: 'Cut' }));
    expectUnavailable(await t.http.get('/health'));

    await proxy.restore();
    await t.http.get('/health').expect(200);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
    const again = await login(t.http, user);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    await t.http.get('/v1/auth/me').set('Authorization', bearer(again)).expect(200);
  });
});
