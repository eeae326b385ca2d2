// A stdout that stops taking lines: the server's stdout is a pipe, and this process stops reading it for
// BENCH_STALL_S seconds (default 5) while the load goes on, as a log collector that hangs would. Measured: p99
// (and max) in that window against the window before, and, once reading resumes, whether every access line
// arrived or was counted as dropped (the server says how many it dropped). Part of `npm run bench` (on the
// production-shape server); alone: `npm run bench:stdout` (its own database: BENCH_MYSQL, default
// mysql://root@127.0.0.1:3306/bench_stdout; BENCH_REDIS, default redis://127.0.0.1:6379/3).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase, load, port, seededTokens, start, stopAll } from './harness.mjs';
import { runSql, seedStatements } from './seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const STALL_S = Number(process.env.BENCH_STALL_S ?? 5);

/** Waits until the server's stdout has been quiet for a second (30 s at most): everything it will send has come. */
async function settled(stdout) {
  for (let last = -1, quiet = 0, t = 0; quiet < 10 && t < 300; t++) {
    await sleep(100);
    quiet = stdout.lines === last ? quiet + 1 : 0;
    last = stdout.lines;
  }
}

/** `server` from harness.start at LOG_LEVEL=info; the load is GET /v1/auth/me with `tokens`. */
export async function stdoutStall(server, tokens, seconds = STALL_S) {
  const { stdout } = server;
  await settled(stdout);
  const access0 = stdout.access;
  const dropped0 = stdout.dropped;
  const opts = { duration: seconds, pid: server.pid, gc: server.gc, stdout };
  const normal = await load(server.port, '/v1/auth/me', tokens, opts);
  stdout.pause();
  const stalled = await load(server.port, '/v1/auth/me', tokens, opts);
  stdout.resume();
  await settled(stdout);
  // Every request sent gets its line, those still in flight when a run ended included.
  const sent = normal.sent + stalled.sent;
  const received = stdout.access - access0;
  const dropped = stdout.dropped - dropped0;
  return { seconds, normal, stalled, sent, received, dropped, lost: sent - received - dropped };
}

/** The Markdown table of one stdoutStall result. */
export function stallTable(r) {
  return `| window (${r.seconds} s each, GET /v1/auth/me) | req/s | p50 ms | p99 ms | max ms | server CPU µs/req |
|---|---|---|---|---|---|
| stdout read | ${r.normal.rps.toFixed(0)} | ${r.normal.p50} | ${r.normal.p99} | ${r.normal.max} | ${r.normal.cpu?.toFixed(0) ?? '?'} |
| stdout not read (the pipe full) | ${r.stalled.rps.toFixed(0)} | ${r.stalled.p50} | ${r.stalled.p99} | ${r.stalled.max} | ${r.stalled.cpu?.toFixed(0) ?? '?'} |

| p99 not read ÷ read | requests sent | access lines received after the pipe drained | dropped (the server's count) | lost (neither) |
|---|---|---|---|---|
| ${(r.stalled.p99 / Math.max(1, r.normal.p99)).toFixed(2)} | ${r.sent} | ${r.received} | ${r.dropped} | ${r.lost} |`;
}

async function main() {
  const mysqlUrl = process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/bench_stdout';
  const redisUrl = process.env.BENCH_REDIS ?? 'redis://127.0.0.1:6379/3';
  await freshDatabase(mysqlUrl);
  // The production shape, default configuration: MariaDB, Redis, the cache on, LOG_LEVEL=info.
  const server = await start('stall', join(here, 'app-server.mjs'), port(31), {
    DATABASE_URL: mysqlUrl,
    REDIS_URL: redisUrl,
  });
  await runSql(
    { type: 'mysql', url: mysqlUrl },
    seedStatements('mysql', { users: 1_000, sessions: 1_000, passwordHash: 'unused', now: Date.now() }),
  );
  const tokens = seededTokens(1_000);
  await load(server.port, '/v1/auth/me', tokens, { duration: 3 }); // warm-up: JIT, pools, the cache filled
  console.log(stallTable(await stdoutStall(server, tokens)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href)
  main()
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(stopAll);
