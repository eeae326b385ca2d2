// The Markdown report of `npm run bench`: bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** Writes bench/RESULTS.md (and prints it). */
export function report({ med, runs, logins, verifies, list, revokes, lookups, touches, uncached, config }) {
  const { DURATION, ROUNDS, CONNECTIONS, LIST_ROWS, DISTINCT, SESSIONS, REDIS_URL } = config;
  const c = med['c stateless nest'];
  const d = med['d bare node:http'];
  const co = med['c+ops stateless nest'];
  const r2 = (x) => x.toFixed(2);
  const ratio = (name, base) => r2(med[name].rps / base.rps);
  const cpuRatio = (name, base) => r2(base.cpu / med[name].cpu);
  const p99x = (name, base) => r2(med[name].p99 / Math.max(1, base.p99));
  const me = (k) => `${k} /v1/auth/me`;
  const line = (label, k) =>
    `| ${label} | ${ratio(k, c)} (p99 ×${p99x(k, c)}) | ${ratio(k, co)} (p99 ×${p99x(k, co)}) | ${ratio(k, d)} | ${cpuRatio(k, c)} | ${cpuRatio(k, co)} |`;
  const spread = (k) => {
    const xs = runs[k].map((r) => r.rps);
    return `${((100 * (Math.max(...xs) - Math.min(...xs))) / med[k].rps).toFixed(0)} %`;
  };
  const rows = Object.entries(med).map(
    ([k, m]) =>
      `| ${k} | ${m.rps.toFixed(0)} | ${spread(k)} | ${m.p50} | ${m.p99} | ${Number.isNaN(m.cpu) ? '?' : m.cpu.toFixed(0)} | ${Number.isNaN(m.gcMs) ? '?' : m.gcMs.toFixed(1)} | ${Number.isNaN(m.majors) ? '?' : m.majors} | ${Number.isNaN(m.dbMs) ? '?' : m.dbMs.toFixed(0)} | ${r2(m.rps / c.rps)} | ${r2(m.rps / d.rps)} |`,
  );
  const loginMs = median(logins);
  const hashMs = median(verifies);
  const revokeP50 = pct(revokes, 50);
  const revokeP99 = pct(revokes, 99);
  const versions = [
    '@nestjs/core',
    '@nestjs/platform-fastify',
    'fastify',
    'passport-jwt',
    'mysql2',
    'better-sqlite3',
    'typeorm',
    'ioredis',
    'autocannon',
  ].map((p) => `${p} ${JSON.parse(readPkg(p)).version}`);
  const md = `# Benchmark results

Command: \`BENCH_DURATION=${DURATION} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS} BENCH_LIST_ROWS=${LIST_ROWS} npm run bench\` — ${new Date().toISOString()}

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version};
MariaDB on loopback; autocannon in this process, each server in its own process (both share the ${os.cpus().length} cores).
Versions: ${versions.join(', ')}.

## GET /v1/auth/me, ${DISTINCT.toLocaleString()} distinct live sessions (of ${SESSIONS.toLocaleString()}), ${CONNECTIONS} connections, medians of ${ROUNDS} interleaved runs of ${DURATION} s

| target | req/s | spread (max − min of the runs) | p50 ms | p99 ms | server CPU µs/req | server GC pause ms per 1,000 req | major GCs per run | mariadbd CPU ms per run | ÷ (c) | ÷ (d) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

(c) and (d) answer the same route with a body of the same shape and size as ours (one of our real answers,
filled from the token's claims). (c+ops) is (c) with what we run on every request besides the session check:
the security headers and X-Request-Id, and request logging through pino (LOG_LEVEL=warn for every target).

Ratios for \`GET /v1/auth/me\` (req/s, and server CPU per request: the base's µs ÷ ours):

| | req/s ÷ (c) | req/s ÷ (c+ops) | req/s ÷ (d) | CPU vs (c) | CPU vs (c+ops) |
|---|---|---|---|---|---|
${line('(a) cache, MariaDB', me('a mysql (cache)'))}
${line('(b) no cache, MariaDB', me('b mysql (off)'))}
${line('(a) cache, SQLite', me('a sqlite (cache)'))}
${line('(b) no cache, SQLite', me('b sqlite (off)'))}
${line('(f) cache, MariaDB, V8 defaults', 'f mysql (cache, V8 defaults)')}

(f) is (a) on MariaDB without \`src/v8-flags.ts\` (allocation-site pretenuring left on): a/f = ${ratio(me('a mysql (cache)'), med['f mysql (cache, V8 defaults)'])} in req/s,
p99 ${med[me('a mysql (cache)')].p99} vs ${med['f mysql (cache, V8 defaults)'].p99} ms, GC pauses ${med[me('a mysql (cache)')].gcMs.toFixed(1)} vs ${med['f mysql (cache, V8 defaults)'].gcMs.toFixed(1)} ms per 1,000 requests, ${med[me('a mysql (cache)')].majors} vs ${med['f mysql (cache, V8 defaults)'].majors} major GCs per run.

The session check alone (\`GET /bench/auth\`: the same guard, strategy and check, a small body; (c) and (d) still send the full one):

| | req/s ÷ (c) | req/s ÷ (c+ops) | req/s ÷ (d) | CPU vs (c) | CPU vs (c+ops) |
|---|---|---|---|---|---|
${line('(a) cache, MariaDB', 'a mysql (cache) auth only')}
${line('(b) no cache, MariaDB', 'b mysql (off) auth only')}
${line('(e) our app, check skipped', 'e mysql (no check) auth only')}

**What the session check itself costs** — (a) against (e), our app with the check replaced by "the token's claims are
enough" (bench-only switch), same route: req/s a/e = ${ratio('a mysql (cache) auth only', med['e mysql (no check) auth only'])},
server CPU ${med['a mysql (cache) auth only'].cpu.toFixed(0)} vs ${med['e mysql (no check) auth only'].cpu.toFixed(0)} µs per request
(a − e: ${(med['a mysql (cache) auth only'].cpu - med['e mysql (no check) auth only'].cpu).toFixed(0)} µs for the check with the cache, where runs of one target move by several µs); without the cache,
b/e = ${ratio('b mysql (off) auth only', med['e mysql (no check) auth only'])} (${(med['b mysql (off) auth only'].cpu - med['e mysql (no check) auth only'].cpu).toFixed(0)} µs, mostly the driver round trip).
(e) against (c) compares everything else on the request: our guard, strategy, hooks and logging, and the token's
verification, which (e) and (a) do once per token and process (src/auth/verified-tokens.ts) and (c), plain passport-jwt, on every request.

## Other measurements

- The hot-path statement alone against MariaDB (mysql2 prepared \`SELECT … FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.user_id = ?\`, 16 connections, no HTTP): **${lookups.toFixed(0)} lookups/s** on this box (client and server share the cores).
- \`last_active_at\` writes by the MariaDB servers during the measured runs (each session's first request a minute after its last write asks for one; batched, see README › Token and session lifecycle): **${touches.rows.toLocaleString()} rows in ${touches.statements.toLocaleString()} UPDATE statements**.
- Uncached reads (the \`SESSION_CACHE=off\` MariaDB runs, ${CONNECTIONS} connections): **${uncached.statements.toLocaleString()} prepared statements for ${uncached.requests.toLocaleString()} requests** (${(uncached.requests / Math.max(1, uncached.statements)).toFixed(1)} requests a statement: the reads of requests that arrive together are coalesced).
- Login (MariaDB app, sequential, 30 logins): median ${loginMs.toFixed(1)} ms; one argon2id verify: median ${hashMs.toFixed(1)} ms; login minus one hash: **${(loginMs - hashMs).toFixed(1)} ms**.
- GET /v1/sessions (100 sessions in the answer) for a user with 100 sessions, ${list ? `${LIST_ROWS.toLocaleString()}-row table, ${DURATION} s each: one connection **p99 ${list.p99} ms**, p50 ${list.p50} ms (${list.rps.toFixed(0)} req/s); 8 connections p99 ${list.loaded.p99} ms, p50 ${list.loaded.p50} ms (${list.loaded.rps.toFixed(0)} req/s)` : 'skipped (BENCH_LIST_ROWS=0)'}.
- Revoke (DELETE /v1/sessions/:id) through instance A with instance B live, Redis ${REDIS_URL.replace(/^redis:\/\/[^/]*/, '')} on loopback, ${revokes.length} sequential calls: **p50 ${revokeP50.toFixed(1)} ms, p99 ${revokeP99.toFixed(1)} ms**.

## Noise

The 2 cores are shared by the server under test, autocannon, MariaDB and whatever else runs on the box
(load average at the end: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')}; the mariadbd column shows how much CPU MariaDB took during each run). The spread column shows
how far the runs of one target moved; read the ratios, which the interleaving (every target once per round)
keeps comparable, rather than the absolute figures. p99 on a shared 2-core box mostly measures scheduling.
`;
  writeFileSync(join(here, 'RESULTS.md'), md);
  console.log('\n' + md);
}

function readPkg(p) {
  try {
    return readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8');
  } catch {
    return '{"version":"?"}';
  }
}
