// The targets of `npm run bench` and its Markdown report, bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dbStallTable, dbStallTargets } from './db-stall.mjs';
import { stallTable } from './stdout-stall.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const ME = '/v1/auth/me';
const AUTH = '/bench/auth';
/**
 * What is measured: `server` names a process of bench/run.mjs. The first four are the headline: the default
 * configuration (LOG_LEVEL=info, SESSION_CACHE=auto) on the production shape and on one MySQL without Redis,
 * beside the stateless NestJS app and bare node:http. `auth only` is GET /bench/auth (the check, a small body).
 */
export const TARGETS = [
  { name: 'a mysql+redis cache, info', server: 'a mysql+redis', path: ME },
  { name: 'b mysql no cache, info', server: 'b mysql', path: ME },
  { name: 'c stateless nest', server: 'c', path: ME },
  { name: 'd bare node:http', server: 'd', path: ME },
  { name: 'a mysql+redis cache, warn', server: 'a mysql+redis warn', path: ME },
  { name: 'b mysql no cache, warn', server: 'b mysql warn', path: ME },
  { name: 'a mysql local cache, warn', server: 'a mysql local warn', path: ME },
  { name: 'a sqlite cache, info', server: 'a sqlite', path: ME },
  { name: 'a sqlite cache, warn', server: 'a sqlite warn', path: ME },
  { name: 'b sqlite off, warn', server: 'b sqlite off warn', path: ME },
  { name: 'c+ops stateless nest, info', server: 'c+ops', path: ME },
  { name: 'f mysql local cache, warn, V8 defaults', server: 'f', path: ME },
  { name: 'a mysql local cache, warn: auth only', server: 'a mysql local warn', path: AUTH },
  { name: 'b mysql no cache, warn: auth only', server: 'b mysql warn', path: AUTH },
  { name: 'e mysql no check, warn: auth only', server: 'e mysql no check warn', path: AUTH },
  // The asymmetric signatures (issue 15): the production shape on ES256 and EdDSA, and (c) verifying the same ES256 tokens.
  { name: 'a mysql+redis cache, info, ES256', server: 'a mysql+redis es256', path: ME, tokens: 'ES256' },
  { name: 'a mysql+redis cache, info, EdDSA', server: 'a mysql+redis eddsa', path: ME, tokens: 'EdDSA' },
  { name: 'c stateless nest, ES256', server: 'c es256', path: ME, tokens: 'ES256' },
  // The same tokens introspected by a client (RFC 7662), beside GET /v1/auth/me on the same server.
  {
    name: 'a mysql+redis cache, info: introspection',
    server: 'a mysql+redis',
    path: '/v1/oauth/introspect',
    introspect: true,
  },
];

const LABELS = {
  'a mysql+redis cache, info': '(a) MariaDB + Redis, cache on — the production shape',
  'b mysql no cache, info': '(b) one MariaDB, no Redis: no cache (`SESSION_CACHE=auto`)',
  'c stateless nest': '(c) stateless NestJS + Fastify + passport-jwt, same route and body, no lookup, no access log',
  'd bare node:http': '(d) bare `node:http` HS256 verify, same body',
};

/** Writes bench/RESULTS.md, or the file BENCH_OUT names (and prints it). */
export function report({
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
  dbStall,
  config,
}) {
  const { DURATION, ROUNDS, CONNECTIONS, LIST_ROWS, DISTINCT, SESSIONS, REDIS_URL } = config;
  const c = med['c stateless nest'];
  const d = med['d bare node:http'];
  const co = med['c+ops stateless nest, info'];
  const r2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '?');
  const n0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '?');
  const n1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '?');
  const ratio = (k, base) => r2(med[k].rps / base.rps);
  const cpuRatio = (k, base) => r2(base.cpu / med[k].cpu);
  const p99x = (k, base) => r2(med[k].p99 / Math.max(1, base.p99));
  const spread = (k) => {
    const xs = runs[k].map((r) => r.rps);
    return `${((100 * (Math.max(...xs) - Math.min(...xs))) / med[k].rps).toFixed(0)} %`;
  };
  const row = (k, label = k) => {
    const m = med[k];
    return `| ${label} | ${n0(m.rps)} | ${spread(k)} | ${m.p50} | ${m.p99} | ${n0(m.cpu)} | ${n1(m.gcMs)} | ${n0(m.majors)} | ${n0(m.dbMs)} | ${r2(m.logLines)} | ${r2(m.rps / c.rps)} | ${r2(m.rps / d.rps)} |`;
  };
  const header = `| target | req/s | spread (max − min of the runs) | p50 ms | p99 ms | server CPU µs/req | server GC pause ms per 1,000 req | major GCs per run | mariadbd CPU ms per run | log lines per req | ÷ (c) | ÷ (d) |
|---|---|---|---|---|---|---|---|---|---|---|---|`;
  const headline = Object.keys(LABELS);
  const ratioRow = (label, k) =>
    `| ${label} | ${ratio(k, c)} (p99 ×${p99x(k, c)}) | ${ratio(k, co)} (p99 ×${p99x(k, co)}) | ${ratio(k, d)} | ${cpuRatio(k, c)} | ${cpuRatio(k, co)} |`;
  const ratioHeader = `| | req/s ÷ (c) | req/s ÷ (c+ops) | req/s ÷ (d) | CPU vs (c) | CPU vs (c+ops) |
|---|---|---|---|---|---|`;

  // The access line's price: the same server shape at info and at warn.
  const price = (label, info, warn) => {
    const [i, w] = [med[info], med[warn]];
    return `| ${label} | ${n0(i.rps)} | ${n0(w.rps)} | ${r2(i.rps / w.rps)} | ${n0((100 * (w.rps - i.rps)) / w.rps)} % | ${n0(i.cpu)} | ${n0(w.cpu)} | ${n1(i.cpu - w.cpu)} |`;
  };
  const a = 'a mysql+redis cache, info';
  const es = 'a mysql+redis cache, info, ES256';
  const ces = med['c stateless nest, ES256'];
  const b = 'b mysql no cache, info';
  const intro = 'a mysql+redis cache, info: introspection';
  const accessCost = (med['a mysql+redis cache, warn'].rps - med[a].rps) / med['a mysql+redis cache, warn'].rps;
  const target = (what, wanted, got, met) => `| ${what} | ${wanted} | ${got} | ${met ? 'yes' : '**no**'} |`;
  const stallP99 = stall ? stall.stalled.p99 / Math.max(1, stall.normal.p99) : NaN;

  const f = 'f mysql local cache, warn, V8 defaults';
  const local = 'a mysql local cache, warn';
  const checkA = 'a mysql local cache, warn: auth only';
  const checkB = 'b mysql no cache, warn: auth only';
  const checkE = 'e mysql no check, warn: auth only';

  const loginMs = median(logins);
  const hashMs = median(verifies);
  const md = `# Benchmark results

${runTable(
  `BENCH_DURATION=${DURATION} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS} BENCH_LIST_ROWS=${LIST_ROWS}${outKnob()} ${npmRun('bench')}`,
)}

MariaDB and Redis on loopback; autocannon in the bench process, each server in its own process, all on the same
cores. Each server's stdout is a pipe the bench process reads, as a log collector would. Every request carries
a browser's User-Agent.

## The default configuration: GET /v1/auth/me, ${DISTINCT.toLocaleString()} distinct live sessions (of ${SESSIONS.toLocaleString()}), ${CONNECTIONS} connections, medians of ${ROUNDS} interleaved runs of ${DURATION} s

As deployed by the README: \`LOG_LEVEL=info\` (one access line per request), \`SESSION_CACHE=auto\`.

${header}
${headline.map((k) => row(k, LABELS[k])).join('\n')}

| the issue's target | wanted | this run | met |
|---|---|---|---|
${target('(a) production shape ÷ (c)', '≥ 0.85', ratio(a, c), med[a].rps / c.rps >= 0.85)}
${target('(b) one MySQL, no Redis ÷ (c)', '≥ 0.5', ratio(b, c), med[b].rps / c.rps >= 0.5)}
${target('(a) ES256 ÷ (c) verifying the same ES256 tokens', '≥ 0.85', ratio(es, ces), med[es].rps / ces.rps >= 0.85)}
${target('(a) ES256 ÷ (a) HS256', '≥ 0.85', ratio(es, med[a]), med[es].rps / med[a].rps >= 0.85)}
${target('(a) EdDSA ÷ (a) HS256', '(measured)', ratio('a mysql+redis cache, info, EdDSA', med[a]), true)}
${target('login latency, ES256 − HS256 (medians)', '≤ 2 ms', `${r2(median(loginsEs256) - median(logins))} ms`, median(loginsEs256) - median(logins) <= 2)}
${target('the access line: req/s lost against `LOG_LEVEL=warn`, production shape', '≤ 25 %', `${n0(100 * accessCost)} %`, accessCost <= 0.25)}
${target('introspection of a cached live token ÷ GET /v1/auth/me, production shape', '≥ 0.8', ratio(intro, med[a]), med[intro].rps / med[a].rps >= 0.8)}
${
  stall
    ? [
        target(`stdout not read for ${stall.seconds} s: p99 ÷ p99 while read`, '≤ 2', r2(stallP99), stallP99 <= 2),
        target(
          'stdout not read: lines neither written nor counted as dropped',
          '0',
          String(stall.lost),
          stall.lost === 0,
        ),
      ].join('\n')
    : '| stdout not read | | skipped (BENCH_STALL_S=0) | |'
}
${dbStall ? dbStallTargets(dbStall, target) : '| database stalled | ≤ 2.5 s | skipped (BENCH_DB_STALL_S=0) | |'}

## Every target

${header}
${TARGETS.map((t) => row(t.name)).join('\n')}

(c) and (d) answer the same route with a body of the same shape and size as ours (one of our real answers,
filled from the token's claims). (c+ops) is (c) with what we run on every request besides the session check:
the security headers, X-Request-Id and our access line (LOG_LEVEL=info). \`warn\` rows write no line for a
success. \`local\`: the in-process cache (\`SESSION_CACHE=local\`, one instance). (e) is our app with the session
check replaced by "the token's claims are enough" (bench-only switch). (f) is the \`local\` row on V8's defaults
(no \`src/v8-flags.ts\`), started last and loaded at once.

Ratios for \`GET /v1/auth/me\` (req/s, and server CPU per request: the base's µs ÷ ours):

${ratioHeader}
${ratioRow('(a) MariaDB + Redis, cache, info', a)}
${ratioRow('(b) MariaDB, no cache, info', b)}
${ratioRow('(a) MariaDB + Redis, cache, warn', 'a mysql+redis cache, warn')}
${ratioRow('(b) MariaDB, no cache, warn', 'b mysql no cache, warn')}
${ratioRow('(a) MariaDB, local cache, warn', local)}
${ratioRow('(a) SQLite, cache, info', 'a sqlite cache, info')}
${ratioRow('(a) SQLite, cache, warn', 'a sqlite cache, warn')}
${ratioRow('(b) SQLite, SESSION_CACHE=off, warn', 'b sqlite off, warn')}
${ratioRow('(f) MariaDB, local cache, warn, V8 defaults', f)}

## What the access line costs (the same server shape at info and at warn)

| shape | req/s at info | req/s at warn | info ÷ warn | req/s lost | CPU µs/req at info | at warn | µs per access line |
|---|---|---|---|---|---|---|---|
${price('MariaDB + Redis, cache', a, 'a mysql+redis cache, warn')}
${price('MariaDB, no cache', b, 'b mysql no cache, warn')}
${price('SQLite, cache', 'a sqlite cache, info', 'a sqlite cache, warn')}

## A stdout that stops taking lines (production shape, info)

${stall ? stallTable(stall) : 'Skipped (BENCH_STALL_S=0).'}

## A database that stops answering (MariaDB behind a proxy that forwards nothing, no cache, info)

${dbStall ? dbStallTable(dbStall) : 'Skipped (BENCH_DB_STALL_S=0).'}

## The session check alone, and V8's pretenuring

\`GET /bench/auth\`: the same guard, strategy and check, a small body; (c) and (d) still send the full one.

${ratioHeader}
${ratioRow('(a) MariaDB, local cache, warn', checkA)}
${ratioRow('(b) MariaDB, no cache, warn', checkB)}
${ratioRow('(e) our app, check skipped, warn', checkE)}

| comparison | req/s ratio | server CPU µs/req | difference µs/req | p99 ms | GC pause ms per 1,000 req | major GCs per run |
|---|---|---|---|---|---|---|
| the cached check: (a) ÷ (e), auth only | ${ratio(checkA, med[checkE])} | ${n0(med[checkA].cpu)} vs ${n0(med[checkE].cpu)} | ${n0(med[checkA].cpu - med[checkE].cpu)} | ${med[checkA].p99} vs ${med[checkE].p99} | ${n1(med[checkA].gcMs)} vs ${n1(med[checkE].gcMs)} | ${med[checkA].majors} vs ${med[checkE].majors} |
| the uncached check: (b) ÷ (e), auth only | ${ratio(checkB, med[checkE])} | ${n0(med[checkB].cpu)} vs ${n0(med[checkE].cpu)} | ${n0(med[checkB].cpu - med[checkE].cpu)} | ${med[checkB].p99} vs ${med[checkE].p99} | ${n1(med[checkB].gcMs)} vs ${n1(med[checkE].gcMs)} | ${med[checkB].majors} vs ${med[checkE].majors} |
| V8 settings: (a) local ÷ (f) | ${ratio(local, med[f])} | ${n0(med[local].cpu)} vs ${n0(med[f].cpu)} | ${n0(med[f].cpu - med[local].cpu)} | ${med[local].p99} vs ${med[f].p99} | ${n1(med[local].gcMs)} vs ${n1(med[f].gcMs)} | ${med[local].majors} vs ${med[f].majors} |

(e) against (c) compares everything else on the request: our guard, strategy, hooks and logging, and the token's
verification, which (e) and (a) do once per token and process (src/auth/verified-tokens.ts) and (c), plain
passport-jwt, on every request.

## Other measurements

| measurement | figure |
|---|---|
| the hot-path statement alone against MariaDB (mysql2 prepared \`SELECT … FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.user_id = ?\`, 16 connections, no HTTP) | ${n0(lookups)} lookups/s |
| \`last_active_at\` writes by the MariaDB servers during the measured runs (batched, see README › Token and session lifecycle) | ${touches.rows.toLocaleString()} rows in ${touches.statements.toLocaleString()} UPDATE statements |
| uncached reads (the (b) MariaDB runs, ${CONNECTIONS} connections: reads of requests that arrive together share a statement) | ${uncached.statements.toLocaleString()} prepared statements for ${uncached.requests.toLocaleString()} requests (${(uncached.requests / Math.max(1, uncached.statements)).toFixed(1)} a statement) |
| login, MariaDB app, sequential, 30 logins: median / one argon2id verify / login minus one hash | ${loginMs.toFixed(1)} / ${hashMs.toFixed(1)} / ${(loginMs - hashMs).toFixed(1)} ms |
${
  list
    ? `| GET /v1/sessions (100 sessions in the answer) for a user with 100 sessions, ${LIST_ROWS.toLocaleString()}-row table, ${DURATION} s: one connection p50 / p99, req/s | ${list.p50} / ${list.p99} ms, ${n0(list.rps)} |
| the same, 8 connections | ${list.loaded.p50} / ${list.loaded.p99} ms, ${n0(list.loaded.rps)} |`
    : '| GET /v1/sessions at scale | skipped (BENCH_LIST_ROWS=0) |'
}
| revoke (DELETE /v1/sessions/:id) through instance A with instance B live, Redis ${REDIS_URL.replace(/^redis:\/\/[^/]*/, '')}, ${revokes.length} sequential calls: p50 / p99 | ${pct(revokes, 50).toFixed(1)} / ${pct(revokes, 99).toFixed(1)} ms |

## Noise

The cores are shared by the server under test, autocannon, MariaDB and whatever else runs on the box (the
mariadbd column shows how much CPU MariaDB took during each run). The spread column shows how far the runs of
one target moved; read the ratios, which the interleaving (every target once per round) keeps comparable,
rather than the absolute figures. p99 on a shared 2-core box mostly measures scheduling.
`;
  writeReport(md, 'RESULTS.md');
}

/** Writes a report to bench/<name>, or to the file BENCH_OUT names, and prints it. */
export function writeReport(md, name) {
  writeFileSync(process.env.BENCH_OUT ? resolve(process.env.BENCH_OUT) : join(here, name), md);
  console.log('\n' + md);
}

/** ` BENCH_OUT=…` when the report goes to another file than the default, for the command row. */
export const outKnob = () => (process.env.BENCH_OUT ? ` BENCH_OUT=${process.env.BENCH_OUT}` : '');

/** The command row's `npm run <script>`, behind scripts/with-node.sh when that chose the Node (Node 24 from scripts/node24.sh). */
export function npmRun(script) {
  const dir = process.env.WITH_NODE;
  if (!dir) return `npm run ${script}`;
  const nodeDir = process.versions.node.startsWith('24.') ? '"$(scripts/node24.sh)"' : dir;
  return `scripts/with-node.sh ${nodeDir} npm run ${script}`;
}

/** The table that opens a report: the command, when it finished, the machine, Node and the versions measured. */
export function runTable(command) {
  const versions = [
    '@nestjs/core',
    '@nestjs/platform-fastify',
    'fastify',
    'pino',
    'sonic-boom',
    'passport-jwt',
    'mysql2',
    'better-sqlite3',
    'typeorm',
    'ioredis',
    'autocannon',
  ].map((p) => `${p} ${JSON.parse(readPkg(p)).version}`);
  return `| run | |
|---|---|
| command | \`${command}\` |
| finished | ${new Date().toISOString()} |
| machine | ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()} |
| Node | ${process.version} |
| load average at the end (1 / 5 / 15 min) | ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')} |
| versions | ${versions.join(', ')} |`;
}

function readPkg(p) {
  try {
    return readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8');
  } catch {
    return '{"version":"?"}';
  }
}
