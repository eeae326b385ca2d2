import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncDestination } from '../src/common/logging.js';
import { bearer, login, registerUser, UA } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { captureLogs } from './utils/capture-logs.js';
import { testDatabases } from './utils/databases.js';

type Res = { headers: Record<string, string> };

describe.each(testDatabases)('the access log on %s, at LOG_LEVEL=info', (db) => {
  let t: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    t = await createTestApp(db, { LOG_LEVEL: 'info' }, { logDestination: logs.stream });
  });
  afterAll(() => t.close());

  const linesOf = (res: Res) => logs.lines().filter((l) => l.reqId === res.headers['x-request-id']);
  const accessLine = (res: Res) => {
    const lines = linesOf(res).filter((l) => l.msg === 'request completed');
    expect(lines).toHaveLength(1);
    return lines[0];
  };

  it('writes one line per request with the fields operators use, and no other', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const res = await t.http
      .get('/v1/sessions?status=all&limit=5')
      .set('Authorization', bearer(pair))
      .set('User-Agent', UA.iphoneSafari)
      .set('X-Forwarded-For', '203.0.113.9')
      .set('Cookie', 'sid=cookie-secret')
      .set('X-Api-Key', 'header-secret')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(accessLine(res)).toStrictEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      reqId: res.headers['x-request-id'],
      req: {
        method: 'GET',
        url: '/v1/sessions?status=&limit=',
        remoteAddress: '203.0.113.9',
        userAgent: UA.iphoneSafari,
      },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      userId: user.id,
      sessionId: pair.sessionId,
      msg: 'request completed',
    });
    for (const secret of [pair.accessToken, pair.refreshToken, 'cookie-secret', 'header-secret'])
      expect(logs.text()).not.toContain(secret);
  });

  it('names the user and session of a verified token the session check refused, and nobody for a token it could not verify', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    await t.http.post('/v1/auth/logout').set('Authorization', bearer(pair)).expect(204);
    const ended = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(401);
    expect(accessLine(ended)).toMatchObject({
      level: 40,
      res: { statusCode: 401 },
      userId: user.id,
      sessionId: pair.sessionId,
      failure: ended.body.message,
    });
    const [head, claims] = pair.accessToken.split('.');
    const forged = await t.http.get('/v1/auth/me').set('Authorization', `Bearer ${head}.${claims}.AAAA`).expect(401);
    const anonymous = await t.http.get('/v1/auth/me').expect(401);
    for (const res of [forged, anonymous]) {
      expect(accessLine(res)).toMatchObject({ level: 40, res: { statusCode: 401 } });
      expect(accessLine(res)).not.toHaveProperty('userId');
      expect(accessLine(res)).not.toHaveProperty('sessionId');
    }
  });

  it('logs no token, password or query value, wherever the request put it', async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    const inQuery = await t.http.get(`/v1/auth/me?access_token=${pair.accessToken}`).expect(401);
    expect(accessLine(inQuery).req.url).toBe('/v1/auth/me?access_token=');
    const bareKey = await t.http.get(`/v1/auth/me?${pair.refreshToken}`).set('Authorization', bearer(pair)).expect(200);
    expect(accessLine(bareKey).req.url).toBe('/v1/auth/me?_=');
    const badValue = await t.http
      .get('/v1/sessions?status=query-value-7f3a&limit=2')
      .set('Authorization', bearer(pair))
      .expect(400);
    expect(accessLine(badValue)).toMatchObject({ level: 40, req: { url: '/v1/sessions?status=&limit=' } });
    // Nest's 404 quotes the URL: the line's `failure` carries its keys only.
    const unknown = await t.http.get('/v1/nowhere?token=query-value-2b9c').expect(404);
    expect(accessLine(unknown).failure).toBe('Cannot GET /v1/nowhere?token=');
    // Rejected bodies: a validation error, malformed JSON, a wrong password.
    await t.http
      .post('/v1/auth/register')
      .send({ email: 'not-an-email', password: 'pw-in-rejected-body-9c1' })
      .expect(400);
    await t.http
      .post('/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":"a@example.com","password":"pw-in-bad-json-2d4')
      .expect(400);
    await t.http.post('/v1/auth/login').send({ email: user.email, password: 'pw-wrong-5e7a' }).expect(401);
    const text = logs.text();
    for (const secret of [
      pair.accessToken,
      pair.refreshToken,
      user.password,
      'query-value-7f3a',
      'query-value-2b9c',
      'pw-in-rejected-body-9c1',
      'pw-in-bad-json-2d4',
      'pw-wrong-5e7a',
    ])
      expect(text).not.toContain(secret);
  });

  it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await t.http.get('/v1/auth/me').set('X-Request-Id', 'edge-7f3a.42').expect(401);
    expect(kept.headers['x-request-id']).toBe('edge-7f3a.42');
    expect(accessLine(kept)).toMatchObject({ level: 40, res: { statusCode: 401 } });
    const replaced = await t.http.get('/v1/auth/me').set('X-Request-Id', 'has spaces; and more').expect(401);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("says on a failed request's line why it failed, next to the service's own line", async () => {
    const user = await registerUser(t.http);
    const pair = await login(t.http, user);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    t.clock.advance((t.config.session.refreshReuseGrace + 1) * 1000);
    const res = await t.http.post('/v1/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401);
    const line = accessLine(res);
    expect(line).toMatchObject({ level: 40, res: { statusCode: 401 }, failure: res.body.message });
    expect(line.failure).toMatch(/already used/);
    const warning = logs.lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('refresh token reuse'));
    expect(warning).toMatchObject({
      level: 40,
      context: 'SessionsService',
      msg: `refresh token reuse: session ${pair.sessionId} ended`,
    });
  });
});

describe('health probes and static files', () => {
  const QUIET = ['/health', '/health/live', '/account/devices.js', '/docs/swagger-ui.css', '/favicon.ico'];

  it.each([
    ['info', []],
    ['debug', QUIET],
  ])('at LOG_LEVEL=%s, have lines for %p', async (level, logged) => {
    const logs = captureLogs();
    const t = await createTestApp('sqlite', { LOG_LEVEL: level }, { logDestination: logs.stream });
    try {
      const ids = new Map<string, string>();
      for (const path of QUIET) ids.set(path, (await t.http.get(path)).headers['x-request-id']);
      // Pages are requests like any other: logged at info.
      const page = await t.http.get('/account/devices').expect(200);
      expect(logs.lines().filter((l) => l.reqId === page.headers['x-request-id'])).toMatchObject([{ level: 30 }]);
      const quiet = QUIET.filter((p) => logs.lines().some((l) => l.reqId === ids.get(p)));
      expect(quiet).toEqual(logged);
      for (const l of logs.lines().filter((l) => QUIET.some((p) => l.reqId === ids.get(p)))) expect(l.level).toBe(20);
    } finally {
      await t.close();
    }
  });
});

// A pipe whose reader never reads: the destination's write never comes back until the test drains it.
describe('a log destination that stops taking lines', () => {
  let dir: string;
  let reader: number;
  let writer: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-fifo-'));
    execFileSync('mkfifo', [join(dir, 'log')]);
    reader = openSync(join(dir, 'log'), constants.O_RDONLY | constants.O_NONBLOCK);
    writer = openSync(join(dir, 'log'), 'w'); // blocking, as stdout is
  });
  afterAll(() => {
    closeSync(reader);
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the pipe holds now (the reader is non-blocking: EAGAIN means empty). */
  function drain(): string {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      try {
        const n = readSync(reader, buf);
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  it('does not stall requests, and once it drains says how many lines it dropped', async () => {
    // A small bound, so the test overflows it: the pipe's 64 KiB, then 64 KiB held in memory.
    const destination = new AsyncDestination(writer, 64 * 1024);
    const t = await createTestApp('sqlite', { LOG_LEVEL: 'info' }, { logDestination: destination });
    const SENT = 600;
    try {
      const statuses: number[] = [];
      for (let i = 0; i < SENT; i += 20)
        statuses.push(
          ...(await Promise.all(
            Array.from({ length: 20 }, async (_, k) => {
              const res = await t.http.get('/v1/auth/me').set('X-Request-Id', `blocked-${i + k}`);
              return res.status;
            }),
          )),
        );
      expect(statuses).toEqual(Array(SENT).fill(401));

      let text = '';
      while (!/log lines dropped/.test(text)) {
        text += drain();
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100)); // the report's own line follows the drain
      text += drain();
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const received = lines.filter((l) => /^blocked-/.test(l.reqId)).length;
      const report = lines.find((l) => /log lines dropped/.test(l.msg));
      expect(report).toMatchObject({ level: 40, dropped: expect.any(Number) });
      expect(report.dropped).toBeGreaterThan(0);
      expect(received + report.dropped).toBe(SENT);
    } finally {
      await t.close();
      await destination.end();
    }
  }, 30_000);
});

it('writes the lines still waiting when the process exits at once (the shutdown timeout calls process.exit)', () => {
  const script = `
    const { AsyncDestination } = await import('./dist/src/common/logging.js');
    const out = new AsyncDestination(1);
    for (let i = 0; i < 5000; i++) out.write(JSON.stringify({ i, pad: 'x'.repeat(200) }) + '\\n');
    process.exit(0);`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '..'),
    maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8');
  const lines = stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(5000);
  expect(JSON.parse(lines[4999])).toMatchObject({ i: 4999 });
});
