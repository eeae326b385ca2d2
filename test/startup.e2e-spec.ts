import { existsSync, mkdirSync, mkdtempSync, symlinkSync, copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, root, runBuilt, start } from './utils/built-service.js';
import { mysqlUrlForWorker } from './utils/databases.js';

const base = { NODE_ENV: 'production', JWT_SECRET: 'startup-test-secret-that-is-32-chars-long', LOG_LEVEL: 'info' };
const FAILED = 'device-sessions failed to start:';
const sqlite = { ...base, DATABASE_URL: 'sqlite::memory:', GEOIP_DB_PATH: 'off' };

/** A failed start: exit 1, nothing on stdout (no JSON boot lines, no stack), one line on stderr. */
function expectOneLine(result: { code: number | null; stdout: string; stderr: string }, line: string | RegExp) {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
}

describe('a start that cannot succeed ends with one line naming the cause (built dist/src/main.js)', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('a port in use', async () => {
    const result = await runBuilt({ ...sqlite, HOST: '127.0.0.1', PORT: String(busyPort) });
    expectOneLine(result, `${FAILED} cannot listen on 127.0.0.1:${busyPort} (HOST, PORT): the port is already in use`);
  }, 30_000);

  it('a HOST that is not an address of this machine', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a host. Binding to it fails locally; nothing is sent.
    const result = await runBuilt({ ...sqlite, HOST: '192.0.2.1', PORT: String(await freePort()) });
    expectOneLine(
      result,
      /^device-sessions failed to start: cannot listen on 192\.0\.2\.1:\d+ \(HOST, PORT\): HOST is not an address/,
    );
  }, 30_000);

  it.each([
    ['a port that is not a number', { PORT: 'abc' }, 'PORT must be a TCP port number from 0 to 65535'],
    [
      'a duration with a unit',
      { ACCESS_TOKEN_TTL: '15m' },
      'ACCESS_TOKEN_TTL must be a whole number of seconds from 10 to 86400',
    ],
    [
      'a DATABASE_URL with a bad port',
      { DATABASE_URL: 'mysql://app:pw@127.0.0.1:abc/db' },
      'DATABASE_URL must be sqlite:PATH',
    ],
    ['a MIGRATIONS_RUN that is not a boolean', { MIGRATIONS_RUN: 'maybe' }, 'MIGRATIONS_RUN must be true or false'],
  ])(
    '%s',
    async (_, env, detail) => {
      const result = await runBuilt({ ...sqlite, PORT: '0', ...env });
      const variable = Object.keys(env)[0];
      expectOneLine(
        result,
        new RegExp(`^Invalid configuration: ${variable}: ${detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    },
    30_000,
  );

  it('an unreachable database, named without its password', async () => {
    const port = await freePort();
    const result = await runBuilt({
      ...base,
      PORT: '0',
      GEOIP_DB_PATH: 'off',
      DATABASE_URL: `mysql://app:s3cret-pw@127.0.0.1:${port}/device_sessions`,
    });
    expectOneLine(
      result,
      `${FAILED} cannot open the database mysql 127.0.0.1:${port}/device_sessions (DATABASE_URL): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(result.stderr).not.toContain('s3cret-pw');
  }, 30_000);

  (process.env.TEST_MYSQL_URL ? it : it.skip)(
    'a database that does not exist on a reachable server',
    async () => {
      const url = new URL(process.env.TEST_MYSQL_URL!);
      const missing = 'no_such_database_for_startup_test';
      url.pathname = `/${missing}`;
      const result = await runBuilt({ ...base, PORT: '0', GEOIP_DB_PATH: 'off', DATABASE_URL: url.toString() });
      expectOneLine(
        result,
        `${FAILED} cannot open the database mysql ${url.hostname}:${url.port || 3306}/${missing} (DATABASE_URL): ` +
          `Unknown database '${missing}'`,
      );
    },
    30_000,
  );

  it('a missing GeoIP file', async () => {
    const result = await runBuilt({ ...sqlite, PORT: '0', GEOIP_DB_PATH: '/nonexistent/geo.mmdb' });
    expectOneLine(
      result,
      /^Invalid configuration: GEOIP_DB_PATH: \/nonexistent\/geo\.mmdb is not a readable MaxMind database \(ENOENT/,
    );
  }, 30_000);

  it('a SQLite path whose directory does not exist: refused, and nothing is created', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'startup-'));
    const missing = join(parent, 'nonexistent', 'dir');
    const result = await runBuilt({ ...sqlite, PORT: '0', DATABASE_URL: `sqlite:${missing}/x.sqlite` });
    expectOneLine(
      result,
      `Invalid configuration: DATABASE_URL: the directory ${missing} does not exist (only ./data is created)`,
    );
    expect(existsSync(join(parent, 'nonexistent'))).toBe(false);
  }, 30_000);

  it('a SQLite file that cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'startup-'));
    mkdirSync(join(dir, 'db.sqlite'));
    const result = await runBuilt({ ...sqlite, PORT: '0', DATABASE_URL: `sqlite:${dir}/db.sqlite` });
    expectOneLine(
      result,
      `${FAILED} cannot open the database sqlite ${dir}/db.sqlite (DATABASE_URL): unable to open database file`,
    );
  }, 30_000);
});

describe('a successful start names its address and its database', () => {
  it('SQLite: the path, in an existing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'startup-'));
    const port = await freePort();
    const result = await runBuilt(
      { ...sqlite, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: `sqlite:${dir}/app.sqlite` },
      { until: /device-sessions listening/ },
    );
    expect(result.stdout).toContain(
      `device-sessions listening on http://127.0.0.1:${port} (docs at /docs, database: sqlite ${dir}/app.sqlite)`,
    );
    expect(existsSync(join(dir, 'app.sqlite'))).toBe(true);
  }, 30_000);

  it('SQLite by default: ./data is created in the working directory', async () => {
    // A working directory of its own, holding what the service reads from it (public/, package.json).
    const cwd = mkdtempSync(join(tmpdir(), 'startup-cwd-'));
    symlinkSync(join(root, 'public'), join(cwd, 'public'));
    copyFileSync(join(root, 'package.json'), join(cwd, 'package.json'));
    const result = await runBuilt(
      { ...base, GEOIP_DB_PATH: 'off', PORT: '0' },
      { cwd, until: /device-sessions listening/ },
    );
    expect(result.stdout).toMatch(/device-sessions listening on http:\/\/127\.0\.0\.1:\d+ \(docs at \/docs, /);
    expect(result.stdout).toContain('database: sqlite ./data/device-sessions.sqlite)');
    expect(existsSync(join(cwd, 'data', 'device-sessions.sqlite'))).toBe(true);
  }, 30_000);

  (process.env.TEST_MYSQL_URL ? it : it.skip)(
    'MySQL: host, port and database, never the password',
    async () => {
      const url = new URL(await mysqlUrlForWorker());
      const result = await runBuilt(
        { ...base, PORT: '0', GEOIP_DB_PATH: 'off', DATABASE_URL: url.toString() },
        { until: /device-sessions listening/ },
      );
      expect(result.stdout).toContain(`database: mysql ${url.hostname}:${url.port || 3306}${url.pathname})`);
      if (url.password) expect(result.stdout).not.toContain(decodeURIComponent(url.password));
    },
    30_000,
  );
});

/** Reachable at an address of the loopback range: 127.0.0.2 is this machine too, on another address. */
async function answers(address: string, port: number): Promise<boolean> {
  try {
    return (await fetch(`http://${address}:${port}/health/live`)).ok;
  } catch {
    return false;
  }
}

describe('HOST', () => {
  it.each([
    ['unset (127.0.0.1)', undefined, { '127.0.0.1': true, '127.0.0.2': false }],
    ['127.0.0.1', '127.0.0.1', { '127.0.0.1': true, '127.0.0.2': false }],
    ['0.0.0.0 (as in the image)', '0.0.0.0', { '127.0.0.1': true, '127.0.0.2': true }],
  ])(
    '%s: answers only where it listens',
    async (_, host, expected) => {
      const port = await freePort();
      const service = start(
        [process.execPath, join(root, 'dist/src/main.js')],
        { ...sqlite, HOST: host, PORT: String(port) },
        { ready: /device-sessions listening/ },
      );
      try {
        await service.ready;
        const seen: Record<string, boolean> = {};
        for (const address of Object.keys(expected)) seen[address] = await answers(address, port);
        expect(seen).toEqual(expected);
      } finally {
        expect((await service.stop()).code).toBe(0);
      }
    },
    30_000,
  );
});
