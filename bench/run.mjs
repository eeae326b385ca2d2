// `npm run bench`: builds, starts the servers, seeds, and measures interleaved (see bench/README in the Scale section).
// Knobs: BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 32),
// BENCH_LIST_ROWS (sessions table size for the list measurement, default 1000000; 0 skips it),
// BENCH_MYSQL (default mysql://root@127.0.0.1:3306/bench_perf), BENCH_REDIS (default redis://127.0.0.1:6379/3),
// BENCH_STALL_S (the stdout stall, default 5; 0 skips it), BENCH_DB_STALL_S (the database stall, default 10; 0 skips
// it; BENCH_DB_STALL_TIMEOUT_MS its client timeout, default 5000), BENCH_PORT_BASE (default 4100), BENCH_OUT (the
// report's file, default bench/RESULTS.md).
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { createConnection, createPool } from 'mysql2/promise';
import { AUTH_SQL } from '../dist/src/sessions/sessions.sql.js';
import {
  CONNECTIONS,
  DURATION,
  freshDatabase,
  keyedTokens,
  load,
  port,
  seededTokens,
  shuffled,
  start,
  stopAll,
  token,
} from './harness.mjs';
import { median, report, TARGETS } from './report.mjs';
import { extraSessions, runSql, seedStatements, sessionId } from './seed.mjs';
import { DB_STALL_S, dbStall, dbStallTable } from './db-stall.mjs';
import { STALL_S, stallTable, stdoutStall } from './stdout-stall.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const LIST_ROWS = Number(env.BENCH_LIST_ROWS ?? 1_000_000);
const MYSQL_URL = env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/bench_perf';
const REDIS_URL = env.BENCH_REDIS ?? 'redis://127.0.0.1:6379/3';
const PASSWORD = 'bench password 1234';
const USERS = 10_000;
const SESSIONS = 100_000;
const DISTINCT = 1_000;
/** The introspection client of the introspection row (its Basic header below). */
const CLIENT = { id: 'bench', secret: 'bench-introspection-secret-0123456789' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
// Named after the MariaDB database, so runs with their own BENCH_MYSQL do not share it.
const sqlitePath = join(os.tmpdir(), `device-sessions-${new URL(MYSQL_URL).pathname.slice(1)}`, 'bench.sqlite');

async function seed(db, now, passwordHash) {
  await runSql(db, seedStatements(db.type, { users: USERS, sessions: SESSIONS, passwordHash, now }));
}

async function main() {
  const now = Date.now();
  const passwordHash = await hash(PASSWORD, ARGON2);
  await freshDatabase(MYSQL_URL);
  rmSync(dirname(sqlitePath), { recursive: true, force: true });
  mkdirSync(dirname(sqlitePath), { recursive: true });

  const appJs = join(here, 'app-server.mjs');
  const mysql = { type: 'mysql', url: MYSQL_URL };
  const sqlite = { type: 'sqlite', path: sqlitePath };
  const onMysql = { DATABASE_URL: MYSQL_URL, MIGRATIONS_RUN: 'false' };
  const onSqlite = { DATABASE_URL: `sqlite:${sqlitePath}`, MIGRATIONS_RUN: 'false' };
  const warn = { LOG_LEVEL: 'warn' };
  const introspection = { INTROSPECTION_CLIENTS: `${CLIENT.id}:${CLIENT.secret}` };
  // Servers (each its own process, LOG_LEVEL=info unless `warn`); migrations run at the first start on each
  // database, then the seed. SESSION_CACHE is left to its default (auto) but where a row names it.
  const servers = {};
  const serve = async (key, n, extraEnv, script = appJs) =>
    (servers[key] = await start(key, script, port(n), extraEnv));
  await serve('a mysql+redis', 1, { ...onMysql, MIGRATIONS_RUN: 'true', REDIS_URL, ...introspection });
  await serve('a mysql+redis warn', 13, { ...onMysql, REDIS_URL, ...warn });
  await serve('b mysql', 2, onMysql);
  await serve('b mysql warn', 14, { ...onMysql, ...warn });
  await serve('a mysql local warn', 15, { ...onMysql, SESSION_CACHE: 'local', ...warn });
  await serve('a mysql+redis es256', 17, { ...onMysql, REDIS_URL, JWT_ALGORITHM: 'ES256' });
  await serve('a mysql+redis eddsa', 18, { ...onMysql, REDIS_URL, JWT_ALGORITHM: 'EdDSA' });
  await serve('a sqlite', 3, { ...onSqlite, MIGRATIONS_RUN: 'true' });
  await serve('a sqlite warn', 16, { ...onSqlite, ...warn });
  await serve('b sqlite off warn', 4, { ...onSqlite, SESSION_CACHE: 'off', ...warn });
  await serve('e mysql no check warn', 11, {
    ...onMysql,
    SESSION_CACHE: 'off',
    BENCH_SKIP_SESSION_CHECK: '1',
    ...warn,
  });
  console.log('seeding 10,000 users / 100,000 sessions on MariaDB and SQLite…');
  await seed(mysql, now, passwordHash);
  await seed(sqlite, now, passwordHash);
  const tokens = seededTokens(DISTINCT);
  // The same sessions' tokens as the ES256 and EdDSA servers sign them (each made its key at start).
  const es256 = await keyedTokens(MYSQL_URL, 'ES256', DISTINCT);
  const tokenSets = {
    HS256: tokens,
    ES256: es256.tokens,
    EdDSA: (await keyedTokens(MYSQL_URL, 'EdDSA', DISTINCT)).tokens,
  };
  // (c) and (d) answer with one of our real bodies, filled from the token's claims: the same shape and size.
  const sample = await (
    await fetch(`http://127.0.0.1:${port(1)}/v1/auth/me`, { headers: { authorization: tokens[0] } })
  ).text();
  const sampleEnv = { BENCH_ME_SAMPLE: sample };
  await serve('c', 5, sampleEnv, join(here, 'stateless-server.mjs'));
  await serve('c+ops', 10, { ...sampleEnv, BENCH_OPS: '1' }, join(here, 'stateless-server.mjs'));
  await serve('c es256', 19, { ...sampleEnv, BENCH_JWK: es256.jwk }, join(here, 'stateless-server.mjs'));
  await serve('d', 6, sampleEnv, join(here, 'bare-server.mjs'));
  // (f) starts last and takes load at once, as an instance does when a deploy puts it into service:
  // V8 tenures request-path allocation sites when load comes soon after startup (processes left idle
  // for 30 s first escaped it; README › Scale), and the others here idle through the seeding.
  await serve('f', 12, { ...onMysql, SESSION_CACHE: 'local', BENCH_V8_DEFAULTS: '1', ...warn });
  await load(port(12), '/v1/auth/me', tokens, { duration: Math.min(3, DURATION) });

  // Interleaved: every round runs every target once, so drift from the shared machine spreads evenly.
  const targets = TARGETS.map((t) => ({ ...servers[t.server], ...t }));
  const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
  // Warm-up (not recorded): JIT, connection pools, and each cache filled with the 1,000 sessions.
  for (const t of targets) t.tokenSet = tokenSets[t.tokens ?? 'HS256'];
  for (const t of targets)
    await load(t.port, t.path, t.tokenSet, { duration: Math.min(3, DURATION), introspect: t.introspect && BASIC });
  const writes0 = await mysqlCounters();
  const uncached = { statements: 0, requests: 0 };
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round runs the targets in its own order (a fixed shuffle per round), so each follows different
    // targets in different rounds: whatever lingers after a run (MariaDB's work after the uncached runs, the
    // load generator's garbage after the fastest server) does not always fall on the same one. (A rotation
    // would not do: every target would keep its predecessor.)
    for (const t of shuffled(targets, round)) {
      // The uncached MariaDB runs: how many statements their reads took (they are coalesced, see auth-reads.ts).
      const counting = t.server.startsWith('b mysql');
      const before = counting ? await mysqlCounters() : null;
      const r = await load(t.port, t.path, t.tokenSet, {
        pid: t.pid,
        gc: t.gc,
        stdout: t.stdout,
        introspect: t.introspect && BASIC,
      });
      if (before) {
        uncached.statements += (await mysqlCounters()).Com_stmt_execute - before.Com_stmt_execute;
        uncached.requests += r.total;
      }
      runs[t.name].push(r);
      console.log(
        `round ${round} ${t.name.padEnd(44)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${r.cpu?.toFixed(1) ?? '?'} µs/req  gc ${r.gcMs?.toFixed(0) ?? '?'} ms/1k req, ${r.majors ?? '?'} major  mariadbd ${r.dbMs?.toFixed(0) ?? '?'} ms  log ${r.logLines?.toFixed(2) ?? '?'} lines/req`,
      );
    }
  }
  const writes1 = await mysqlCounters();
  // The MariaDB servers' last_active_at writes during the measured runs (the sweep's, if one ran, would count too).
  const touches = {
    statements: writes1.Com_update - writes0.Com_update,
    rows: writes1.Handler_update - writes0.Handler_update,
  };
  const med = Object.fromEntries(
    Object.entries(runs).map(([k, rs]) => [
      k,
      Object.fromEntries(
        ['rps', 'p50', 'p99', 'cpu', 'dbMs', 'gcMs', 'majors', 'logLines'].map((f) => [
          f,
          median(rs.map((r) => r[f] ?? NaN)),
        ]),
      ),
    ]),
  );

  // A stdout that stops taking lines, on the production shape (bench/stdout-stall.mjs).
  const stall = STALL_S > 0 ? await stdoutStall(servers['a mysql+redis'], tokens) : null;
  // Each step's result is printed as it ends, so a later step's failure does not lose it.
  if (stall) console.log(stallTable(stall));
  // A database that stops answering, under 32 connections, uncached (bench/db-stall.mjs: its own server and proxy).
  const dbStallResult = DB_STALL_S > 0 ? await dbStall(MYSQL_URL, tokens) : null;
  if (dbStallResult) console.log(dbStallTable(dbStallResult));

  // Login latency (MariaDB app, sequential): HS256 and ES256 alternately, so drift falls on both alike.
  const logins = [];
  const loginsEs256 = [];
  for (let k = 0; k < 60; k++) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port(k % 2 ? 17 : 1)}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench${k + 1}@example.com`, password: PASSWORD }),
    });
    (k % 2 ? loginsEs256 : logins).push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`login ${res.status}`);
  }
  const verifies = [];
  for (let k = 0; k < 30; k++) {
    const t0 = performance.now();
    await verify(passwordHash, PASSWORD);
    verifies.push(performance.now() - t0);
  }
  for (const s of Object.values(servers)) s.stop();
  const lookups = await rawLookups(Array.from({ length: DISTINCT }, (_, k) => sessionId('8000', k + 1)));

  // GET /v1/sessions for a user with 100 sessions in a LIST_ROWS-row table (MariaDB).
  let list = null;
  if (LIST_ROWS > 0 && LIST_ROWS <= SESSIONS + 100)
    console.log(`BENCH_LIST_ROWS must exceed ${(SESSIONS + 100).toLocaleString()} (the seeded rows): list skipped`);
  else if (LIST_ROWS > 0) {
    console.log(`growing the MariaDB sessions table to ${LIST_ROWS.toLocaleString()} rows…`);
    await runSql(mysql, [
      `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('u-heavy', 'heavy@example.com', 'Heavy', '${passwordHash}', ${now}, ${now})`,
      extraSessions('mysql', { idPrefix: '8001', userExpr: `'u-heavy'`, count: 100, now, ended: false }),
      extraSessions('mysql', {
        idPrefix: '8002',
        userExpr: `CONCAT('u-', (n % ${USERS}) + 1)`,
        count: LIST_ROWS - SESSIONS - 100,
        now,
        ended: true,
      }),
      'ANALYZE TABLE sessions',
    ]);
    const s = await start('list', appJs, port(7), { ...onMysql, SESSION_CACHE: 'local' });
    const heavy = [token('u-heavy', sessionId('8001', 1))];
    await load(s.port, '/v1/sessions', heavy, { duration: 2, connections: 8 });
    list = await load(s.port, '/v1/sessions', heavy, { connections: 1 });
    list.loaded = await load(s.port, '/v1/sessions', heavy, { connections: 8 });
    s.stop();
  }

  // Revoke latency with two instances and Redis: sequential DELETE /v1/sessions/:id through A while B is live.
  const redisEnv = { ...onMysql, REDIS_URL };
  const A = await start('revoke A', appJs, port(8), redisEnv);
  const B = await start('revoke B', appJs, port(9), redisEnv);
  await sleep(1500); // both hold a lease
  const revokes = [];
  // Ending another session needs a recent password proof (REAUTH_MAX_AGE); the seeded sessions have none.
  const proven = async (authorization) => {
    const proved = await fetch(`http://127.0.0.1:${port(8)}/v1/auth/reauthenticate`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    if (proved.status !== 204) throw new Error(`reauthenticate ${proved.status}`);
    return authorization;
  };
  const keeper = await proven(token('u-1', sessionId('8000', 1)));
  const keeper2 = await proven(token('u-2', sessionId('8000', 2)));
  for (let k = 1; k < 10; k++)
    await fetch(`http://127.0.0.1:${port(9)}/v1/auth/me`, {
      headers: { authorization: token('u-1', sessionId('8000', 1 + k * USERS)) },
    });
  for (let k = 1; k < 10; k++) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port(8)}/v1/sessions/${sessionId('8000', 1 + k * USERS)}`, {
      method: 'DELETE',
      headers: { authorization: keeper },
    });
    revokes.push(performance.now() - t0);
    if (res.status !== 204) throw new Error(`revoke ${res.status}`);
  }
  // More revocations: the 100 sessions of u-heavy, or fresh logins when the list step was skipped.
  for (let k = 0; k < 200; k++) {
    const login = await fetch(`http://127.0.0.1:${port(8)}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench2@example.com', password: PASSWORD }),
    });
    const { sessionId: fresh } = await login.json();
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port(8)}/v1/sessions/${fresh}`, {
      method: 'DELETE',
      headers: { authorization: keeper2 },
    });
    revokes.push(performance.now() - t0);
    if (res.status !== 204) throw new Error(`revoke ${res.status}`);
    if (k % 50 === 49) process.stdout.write('.');
  }
  A.stop();
  B.stop();

  report({
    med,
    runs,
    logins,
    loginsEs256,
    verifies,
    list,
    revokes,
    lookups,
    touches,
    uncached,
    stall,
    dbStall: dbStallResult,
    config: { DURATION, ROUNDS, CONNECTIONS, LIST_ROWS, DISTINCT, SESSIONS, REDIS_URL },
  });
}

/** MariaDB's UPDATE statements (prepared ones included), updated rows and executed prepared statements so far, server-wide. */
async function mysqlCounters() {
  const conn = await createConnection(MYSQL_URL);
  try {
    const [rows] = await conn.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_update', 'Handler_update', 'Com_stmt_execute')",
    );
    return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  } finally {
    await conn.end();
  }
}

/** What one MariaDB primary answers: the hot-path statement alone, 16 connections, from this process. */
async function rawLookups(ids) {
  const pool = createPool({ uri: MYSQL_URL, connectionLimit: 16 });
  let done = 0;
  const end = performance.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = w; performance.now() < end; i += 16, done++)
        await pool.execute(AUTH_SQL, [ids[i % ids.length], `u-${(i % ids.length) + 1}`]);
    }),
  );
  await pool.end();
  return done / DURATION;
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(stopAll);
