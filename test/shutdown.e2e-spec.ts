import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GracefulShutdown } from '../src/common/graceful-shutdown.js';
import { bearer, login, registerUser } from './factories/users.js';
import { BuiltService, startService } from './utils/built-service.js';
import { createTestApp } from './utils/create-test-app.js';
import { mysqlUrlForWorker } from './utils/databases.js';
import { startSlowProxy } from './utils/slow-proxy.js';

const account = { email: 'drain@example.com', password: 'correct horse battery staple' };
const sqliteUrl = () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'shutdown-')), 'db.sqlite')}`;

async function post(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A request whose body is held back: the server's "100 Continue" proves it has the headers. */
async function held(url: string, method: string, payload: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  const req = request(url, {
    method,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      expect: '100-continue',
      ...headers,
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (text += c))
        .on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', resolve));
  return { send: () => req.end(body), response };
}

/** What came back on a raw socket until the server closed it: the status line's code, or the socket error. */
function answerOn(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on('close', () => resolve(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? `nothing (${JSON.stringify(text)})`));
  });
}

// The real entry point in a real process: SIGTERM cannot be sent to a Jest worker.
describe('graceful shutdown of the built service', () => {
  let service: BuiltService | undefined;
  afterEach(() => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
  });

  it('finishes the requests in flight at SIGTERM, writes their last_active_at, then closes the pool and exits 0', async () => {
    const dbUrl = sqliteUrl();
    const dbPath = dbUrl.slice('sqlite:'.length);
    service = await startService({ DATABASE_URL: dbUrl });
    await service.line(/listening on/);
    const { base } = service;
    const reg = await post(base, '/v1/auth/register', account);
    expect(reg.status).toBe(201);
    const registered = (await reg.json()) as { id: string };

    // A session whose last_active_at is two minutes old: its next request asks for a touch.
    const pair = (await (await post(base, '/v1/auth/login', account)).json()) as {
      accessToken: string;
      sessionId: string;
    };
    const db = new Database(dbPath);
    db.prepare('UPDATE sessions SET last_active_at = last_active_at - 120000 WHERE id = ?').run(pair.sessionId);
    const aged = Number(
      (db.prepare('SELECT last_active_at AS v FROM sessions WHERE id = ?').get(pair.sessionId) as { v: number }).v,
    );
    db.close();

    // Headers go first with Expect: 100-continue; the bodies follow once shutdown has begun.
    const heldLogin = await held(`${base}/v1/auth/login`, 'POST', account, { 'x-request-id': 'drain-login' });
    const rename = await held(
      `${base}/v1/users/me`,
      'PATCH',
      { name: 'Drained' },
      { authorization: `Bearer ${pair.accessToken}`, 'x-request-id': 'drain-rename' },
    );

    service.child.kill('SIGTERM');
    await service.line(/SIGTERM: draining in-flight requests/);
    heldLogin.send();
    rename.send();

    const res = await heldLogin.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
    expect((await rename.response).status).toBe(200);
    expect(await service.exited).toBe(0);
    // The touch asked by a request that ran during the drain was written before the database closed.
    const after = new Database(dbPath, { readonly: true });
    expect(
      Number(
        (after.prepare('SELECT last_active_at AS v FROM sessions WHERE id = ?').get(pair.sessionId) as { v: number }).v,
      ),
    ).toBeGreaterThan(aged);
    after.close();
    expect(service.output()).not.toMatch(/touch failed/);
    // stdout is written asynchronously and in batches: the last lines still went out before the exit.
    const lines = service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = { msg: 'request completed', res: { statusCode: 200 } };
    expect(lines.filter((l) => l.reqId === 'drain-login')).toMatchObject([completed]);
    expect(lines.filter((l) => l.reqId === 'drain-rename')).toMatchObject([{ ...completed, userId: registered.id }]);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped; database pool closed' });
  }, 30_000);

  it('serves every login whose connection was open before SIGTERM, even those it had not accepted yet', async () => {
    service = await startService({
      DATABASE_URL: sqliteUrl(),
      RATE_LIMIT_PER_IP: '1000',
      // Each login counts against the account before its password check (SPEC): twenty at once must fit.
      LOGIN_FAILURES_PER_ACCOUNT: '1000',
    });
    await service.line(/listening on/);
    expect((await post(service.base, '/v1/auth/register', account)).status).toBe(201);

    // Twenty new connections, each with a whole login written, then SIGTERM at once: most are still
    // in the kernel's queue or unread when the signal lands.
    const sockets = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(service!.port, '127.0.0.1', () => resolve(s)).once('error', reject);
          }),
      ),
    );
    const body = JSON.stringify(account);
    const answers = sockets.map((s) => {
      const answer = answerOn(s);
      s.write(
        `POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return answer;
    });
    service.child.kill('SIGTERM');

    expect(await Promise.all(answers)).toEqual(Array(20).fill('200'));
    expect(await service.exited).toBe(0);
  }, 30_000);
});

(process.env.TEST_MYSQL_URL ? describe : describe.skip)('shutdown under a stalled database (MariaDB)', () => {
  it('gives up after SHUTDOWN_GRACE_MS with exit code 1, and says so in one line', async () => {
    const url = new URL(await mysqlUrlForWorker());
    const proxy = await startSlowProxy({ host: url.hostname, port: Number(url.port || 3306) }, 0);
    url.host = `127.0.0.1:${proxy.port}`;
    const service = await startService({ DATABASE_URL: url.toString(), SHUTDOWN_GRACE_MS: '1500' });
    try {
      await service.line(/listening on/);
      const email = `stalled.${Date.now()}@example.com`;
      expect((await post(service.base, '/v1/auth/register', { ...account, email })).status).toBe(201);
      const pair = (await (await post(service.base, '/v1/auth/login', { ...account, email })).json()) as {
        accessToken: string;
      };

      proxy.hold();
      const stuck = fetch(`${service.base}/v1/auth/me`, { headers: { authorization: `Bearer ${pair.accessToken}` } });
      stuck.catch(() => undefined);
      while (proxy.heldCount === 0) await new Promise((r) => setTimeout(r, 10));
      service.child.kill('SIGTERM');

      expect(await service.exited).toBe(1);
      expect(service.output()).toMatch(
        /shutdown did not finish within 1500 ms \(\d+ connections open, database pool open\): exiting with code 1/,
      );
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      proxy.release();
      await proxy.close();
    }
  }, 30_000);
});

describe('after the drain', () => {
  it('answers a request on a kept-alive connection 503 with Retry-After and its code, and closes it', async () => {
    const t = await createTestApp('sqlite');
    try {
      await t.app.listen(0, '127.0.0.1');
      const server = t.app.getHttpServer();
      const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
      const pair = await login(t.http, await registerUser(t.http));
      const ask = () =>
        new Promise<string>((resolve) => {
          let text = '';
          const onData = (c: Buffer) => {
            text += c.toString('utf8');
            const [head, rest] = text.split('\r\n\r\n');
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
            if (rest !== undefined && Buffer.byteLength(rest) >= length) {
              socket.off('data', onData);
              resolve(text);
            }
          };
          socket.on('data', onData);
          socket.write(`GET /v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(pair)}\r\n\r\n`);
        });
      expect(await ask()).toMatch(/^HTTP\/1\.1 200 /);

      await GracefulShutdown.of(server).drain();
      const answer = await ask();
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 503 /);
      expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(head).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(body)).toEqual({
        statusCode: 503,
        code: 'service_unavailable',
        error: 'Service Unavailable',
        message: expect.any(String),
      });
      await new Promise((resolve) => socket.once('close', resolve));
    } finally {
      await t.close();
    }
  });
});
