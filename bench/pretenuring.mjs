// `npm run bench:pretenuring`: what src/v8-flags.ts buys, side by side. Two app processes with the flag (as
// src/main.ts starts), two on V8's defaults, and the stateless baseline (c) on V8's defaults (as users
// would run it; in npm run bench it gets our settings), all on one MariaDB with the
// bench's seed and cache (SESSION_CACHE=local); each warmed from a cold cache, then GET /v1/auth/me in
// interleaved rounds. Whether V8 tenures a request-path allocation site differs from one start to the
// next, so look at each process: a tenured one shows ~10 times the time per scavenge and more major GCs.
// Writes bench/RESULTS-pretenuring.md (and prints it). Knobs: BENCH_DURATION (default 10), BENCH_ROUNDS
// (default 3), BENCH_CONNECTIONS, BENCH_MYSQL (default mysql://root@127.0.0.1:3306/bench_pretenuring), BENCH_OUT
// (the report's file).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTIONS, DURATION, freshDatabase, load, seededTokens, shuffled, start, stopAll } from './harness.mjs';
import { median, npmRun, outKnob, runTable, writeReport } from './report.mjs';
import { runSql, seedStatements } from './seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MYSQL_URL = process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/bench_pretenuring';

async function main() {
  await freshDatabase(MYSQL_URL);

  const app = join(here, 'app-server.mjs');
  // LOG_LEVEL=warn: successes write no line, so the GC compared is the request path's.
  const db = { DATABASE_URL: MYSQL_URL, SESSION_CACHE: 'local', LOG_LEVEL: 'warn' };
  const servers = [await start('flag 1', app, 4301, db)]; // the first start runs the migrations
  servers.push(await start('flag 2', app, 4302, { ...db, MIGRATIONS_RUN: 'false' }));
  servers.push(await start('V8 defaults 1', app, 4303, { ...db, MIGRATIONS_RUN: 'false', BENCH_V8_DEFAULTS: '1' }));
  servers.push(await start('V8 defaults 2', app, 4304, { ...db, MIGRATIONS_RUN: 'false', BENCH_V8_DEFAULTS: '1' }));
  // The seed hashes no password: nobody logs in here.
  await runSql(
    { type: 'mysql', url: MYSQL_URL },
    seedStatements('mysql', { users: 10_000, sessions: 100_000, passwordHash: 'unused', now: Date.now() }),
  );
  const tokens = seededTokens(1_000);
  const sample = await (
    await fetch('http://127.0.0.1:4301/v1/auth/me', { headers: { authorization: tokens[0] } })
  ).text();
  servers.push(
    await start('c stateless nest, V8 defaults', join(here, 'stateless-server.mjs'), 4305, {
      BENCH_ME_SAMPLE: sample,
      BENCH_V8_DEFAULTS: '1',
    }),
  );

  for (const s of servers) await load(s.port, '/v1/auth/me', tokens, { duration: 3 }); // warm-up from a cold cache, as in bench/run.mjs
  const since = new Map(await Promise.all(servers.map(async (s) => [s, await s.gc()])));
  const runs = new Map(servers.map((s) => [s, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of shuffled(servers, round)) {
      const r = await load(s.port, '/v1/auth/me', tokens, { pid: s.pid, gc: s.gc });
      runs.get(s).push(r);
      console.log(
        `round ${round} ${s.name.padEnd(30)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99} ms  cpu ${r.cpu?.toFixed(1) ?? '?'} µs/req  gc ${r.gcMs?.toFixed(1)} ms/1k req, ${r.majors} major`,
      );
    }
  }
  const rows = [];
  for (const s of servers) {
    const rs = runs.get(s);
    const [g0, g1] = [since.get(s), await s.gc()];
    const perScavenge = (g1.scavengeMs - g0.scavengeMs) / Math.max(1, g1.scavenges - g0.scavenges);
    const m = (f) => median(rs.map(f));
    rows.push(
      `| ${s.name} | ${m((r) => r.rps).toFixed(0)} | ${m((r) => r.p99)} | ${m((r) => r.cpu ?? NaN).toFixed(0)} | ${m((r) => r.gcMs ?? NaN).toFixed(1)} | ${perScavenge.toFixed(2)} | ${m((r) => r.majors)} |`,
    );
  }
  writeReport(
    `# V8's allocation-site pretenuring, side by side

${runTable(`BENCH_DURATION=${DURATION} BENCH_ROUNDS=${ROUNDS} BENCH_CONNECTIONS=${CONNECTIONS}${outKnob()} ${npmRun('bench:pretenuring')}`)}

Four app processes on one MariaDB (SESSION_CACHE=local, LOG_LEVEL=warn): two with src/v8-flags.ts, as src/main.ts
starts, two on V8's defaults; and the stateless baseline (c) on V8's defaults. GET /v1/auth/me, ${CONNECTIONS}
connections, medians of ${ROUNDS} interleaved runs of ${DURATION} s. A process whose request path V8 tenured shows
several times the time per scavenge and more major GCs; whether it happens differs from one start to the next.

| process | req/s | p99 ms | server CPU µs/req | GC pause ms per 1,000 req | ms per scavenge | major GCs per run |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
    'RESULTS-pretenuring.md',
  );
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(stopAll);
