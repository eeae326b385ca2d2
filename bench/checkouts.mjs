// `npm run bench:checkouts`: this checkout's service against the builds of other checkouts, side by side in
// one interleaved run, e.g. before and after a change that must not cost speed:
//   git worktree add --detach ../before <commit> && (cd ../before && npm install && npm run build)
//   BENCH_CHECKOUTS=../before npm run bench:checkouts
// Each checkout's dist/src/main.js runs on its own MariaDB database with its own migrations, in one shape
// (BENCH_SHAPE, default `SESSION_CACHE=local LOG_LEVEL=warn`: the cached check; HS256, as 0.2 signed), seeded
// over HTTP (register, log in), so any version of the service with our API can take part; beside them (c), the
// stateless NestJS app, verifying this checkout's tokens. GET /v1/auth/me, medians of interleaved runs.
// Every server runs in this checkout's directory (its static pages and GeoIP data; GET /v1/auth/me reads neither).
// Writes bench/RESULTS-checkouts.md (and prints it). Knobs: BENCH_CHECKOUTS (comma-separated directories),
// BENCH_SHAPE, BENCH_DURATION, BENCH_ROUNDS (default 3), BENCH_CONNECTIONS, BENCH_MYSQL (a database name
// prefix, default mysql://root@127.0.0.1:3306/bench_checkouts), BENCH_OUT.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTIONS, DURATION, freshDatabase, load, port, shuffled, start, stopAll } from './harness.mjs';
import { median, npmRun, outKnob, runTable, writeReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const MYSQL_URL = env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/bench_checkouts';
const SHAPE = env.BENCH_SHAPE ?? 'SESSION_CACHE=local LOG_LEVEL=warn';
const USERS = 50;
const LOGINS_PER_USER = 4;
const PASSWORD = 'bench password 1234';

const shapeEnv = Object.fromEntries(
  SHAPE.split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const dirs = [
  join(here, '..'),
  ...(env.BENCH_CHECKOUTS ?? '')
    .split(',')
    .filter(Boolean)
    .map((d) => resolve(d)),
];

/** `<short commit> <subject>` of a checkout, for the report. */
function describe(dir) {
  const git = (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : '';
  const subject = git('log', '-1', '--format=%s');
  return `${git('rev-parse', '--short', 'HEAD')}${dirty} ${subject.length > 72 ? `${subject.slice(0, 71)}…` : subject}`;
}

async function post(base, path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Users and sessions made through the checkout's own API; the access tokens of every session. */
async function seedOverHttp(base) {
  const tokens = [];
  for (let u = 1; u <= USERS; u++) {
    const email = `bench-${u}@example.com`;
    await post(base, '/v1/auth/register', { email, password: PASSWORD });
    for (let l = 0; l < LOGINS_PER_USER; l++) {
      const { accessToken } = await post(base, '/v1/auth/login', { email, password: PASSWORD });
      tokens.push(`Bearer ${accessToken}`);
    }
  }
  return tokens;
}

async function main() {
  const servers = [];
  for (const [n, dir] of dirs.entries()) {
    const url = `${MYSQL_URL}_${n}`;
    await freshDatabase(url);
    const s = await start(`checkout ${n}`, join(dir, 'dist', 'src', 'main.js'), port(60 + n), {
      ...shapeEnv,
      // HS256 whatever the shape says: 0.2 knew nothing else, and (c) verifies HS256 tokens.
      JWT_ALGORITHM: 'HS256',
      DATABASE_URL: url,
      ACCESS_TOKEN_TTL: '3600',
    });
    servers.push({ ...s, label: describe(dir), tokens: await seedOverHttp(`http://127.0.0.1:${s.port}`) });
  }
  const mine = servers[0];
  const sample = await (
    await fetch(`http://127.0.0.1:${mine.port}/v1/auth/me`, { headers: { authorization: mine.tokens[0] } })
  ).text();
  const c = await start('c stateless nest', join(here, 'stateless-server.mjs'), port(59), { BENCH_ME_SAMPLE: sample });
  servers.push({ ...c, label: '(c) stateless NestJS + Fastify + passport-jwt', tokens: mine.tokens });

  for (const s of servers) await load(s.port, '/v1/auth/me', s.tokens, { duration: 3 }); // warm-up, cold caches
  const runs = new Map(servers.map((s) => [s, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of shuffled(servers, round)) {
      const r = await load(s.port, '/v1/auth/me', s.tokens, { pid: s.pid, gc: s.gc });
      if (r.bad > 0) throw new Error(`${s.label}: ${r.bad} answers not 2xx`);
      runs.get(s).push(r);
      console.log(`round ${round} ${s.name.padEnd(18)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99} ms`);
    }
  }
  const cRps = median(runs.get(servers.at(-1)).map((r) => r.rps));
  const rows = servers.map((s) => {
    const m = (f) => median(runs.get(s).map(f));
    return `| ${s.label} | ${m((r) => r.rps).toFixed(0)} | ${(m((r) => r.rps) / cRps).toFixed(2)} | ${m((r) => r.p99)} | ${m((r) => r.cpu ?? NaN).toFixed(0)} | ${m((r) => r.gcMs ?? NaN).toFixed(1)} |`;
  });
  writeReport(
    `# Checkouts side by side

${runTable(`BENCH_CHECKOUTS=${env.BENCH_CHECKOUTS ?? ''} BENCH_SHAPE='${SHAPE}' BENCH_DURATION=${DURATION} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS}${outKnob()} ${npmRun('bench:checkouts')}`)}

Each checkout's service with \`${SHAPE}\`, HS256, on its own MariaDB database, ${USERS * LOGINS_PER_USER} sessions of
${USERS} users made through its API; GET /v1/auth/me with every session's token in turn, ${CONNECTIONS} connections,
medians of ${ROUNDS} interleaved runs of ${DURATION} s. The first row is this checkout; (c) verifies its tokens.

| service | req/s | ÷ (c) | p99 ms | server CPU µs/req | GC pause ms per 1,000 req |
|---|---|---|---|---|---|
${rows.join('\n')}
`,
    'RESULTS-checkouts.md',
  );
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(stopAll);
