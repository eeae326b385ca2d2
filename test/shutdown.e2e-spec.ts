import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './utils/create-test-app.js';

const root = join(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the first stdout line matching, as the process prints it. */
function waitForLine(child: ChildProcess, out: string[], pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = out
        .join('')
        .split('\n')
        .find((l) => pattern.test(l));
      if (line) {
        child.stdout!.off('data', check);
        resolve(line);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`exited before ${pattern}: ${out.join('')}`)));
    check();
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

// The real entry point in a real process: SIGTERM cannot be sent to a Jest worker.
describe('graceful shutdown of the built service', () => {
  let child: ChildProcess;
  const out: string[] = [];
  let port: number;
  let dbPath: string;

  beforeAll(async () => {
    port = await freePort();
    dbPath = join(mkdtempSync(join(tmpdir(), 'shutdown-')), 'db.sqlite');
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: `sqlite:${dbPath}`,
      LOG_LEVEL: 'info',
    };
    child = spawn(process.execPath, ['dist/src/main.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => out.push(c));
    await waitForLine(child, out, /listening on/);
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it(
    'finishes the requests in flight at SIGTERM, writes their last_active_at, then closes the pool and exits ' + '0',
    async () => {
      const base = `http://127.0.0.1:${port}`;
      const account = { email: 'drain@example.com', password: 'correct horse battery staple' };
      const reg = await fetch(`${base}/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
      });
      expect(reg.status).toBe(201);
      const registered = (await reg.json()) as { id: string };

      // A session whose last_active_at is two minutes old: its next request asks for a touch.
      const pair = (await (
        await fetch(`${base}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(account),
        })
      ).json()) as { accessToken: string; sessionId: string };
      const db = new Database(dbPath);
      db.prepare('UPDATE sessions SET last_active_at = last_active_at - 120000 WHERE id = ?').run(pair.sessionId);
      const aged = Number(
        (db.prepare('SELECT last_active_at AS v FROM sessions WHERE id = ?').get(pair.sessionId) as { v: number }).v,
      );
      db.close();

      // Headers go first with Expect: 100-continue; the bodies follow once shutdown has begun.
      const login = await held(`${base}/v1/auth/login`, 'POST', account, { 'x-request-id': 'drain-login' });
      const rename = await held(
        `${base}/v1/users/me`,
        'PATCH',
        { name: 'Drained' },
        { authorization: `Bearer ${pair.accessToken}`, 'x-request-id': 'drain-rename' },
      );

      // 'close' (not 'exit') waits for the last stdout lines too.
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      child.kill('SIGTERM');
      await waitForLine(child, out, /SIGTERM: draining in-flight requests/);
      login.send();
      rename.send();

      const res = await login.response;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
      expect((await rename.response).status).toBe(200);
      expect(await exited).toBe(0);
      // The touch asked by a request that ran during the drain was written before the database closed.
      const after = new Database(dbPath, { readonly: true });
      expect(
        Number(
          (after.prepare('SELECT last_active_at AS v FROM sessions WHERE id = ?').get(pair.sessionId) as { v: number })
            .v,
        ),
      ).toBeGreaterThan(aged);
      after.close();
      expect(out.join('')).not.toMatch(/touch failed/);
      // stdout is written asynchronously and in batches: the last lines still went out before the exit.
      const lines = out
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const completed = { msg: 'request completed', res: { statusCode: 200 } };
      expect(lines.filter((l) => l.reqId === 'drain-login')).toMatchObject([completed]);
      expect(lines.filter((l) => l.reqId === 'drain-rename')).toMatchObject([{ ...completed, userId: registered.id }]);
      expect(lines.at(-1)).toMatchObject({ msg: 'stopped; database pool closed' });
    },
    30_000,
  );
});
