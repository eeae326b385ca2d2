// A database that stops answering: the app reaches MariaDB through a TCP proxy that, when stalled, keeps every
// connection open (and accepts new ones) but forwards no byte either way, as a hung primary or a silent network
// would. SESSION_CACHE=off, so every GET /v1/auth/me needs the database. 32 workers (BENCH_CONNECTIONS) send
// requests back to back, each with a client timeout (BENCH_DB_STALL_TIMEOUT_MS, default 5000), for 5 s normal,
// BENCH_DB_STALL_S stalled (default 10; 0 skips it in `npm run bench`), then until the first 200 after the stall
// (20 s at most). Measured: p99 of the requests in flight during the stall (a timed-out one counts as the timeout),
// their answers by status, 503s without Retry-After, the server's RSS before against its peak, and the recovery
// time (from the stall's end to the first 200 of a request sent after it). Part of `npm run bench`; alone:
// `npm run bench:db-stall` (its own database: BENCH_MYSQL, default mysql://root@127.0.0.1:3306/bench_db_stall).
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONNECTIONS, freshDatabase, port, seededTokens, start, stopAll } from './harness.mjs';
import { runSql, seedStatements } from './seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DB_STALL_S = Number(process.env.BENCH_DB_STALL_S ?? 10);
const TIMEOUT_MS = Number(process.env.BENCH_DB_STALL_TIMEOUT_MS ?? 5000);
const NORMAL_S = 5;
const RECOVERY_MAX_S = 20;

/** A proxy to `target` ({ host, port }); stall() stops forwarding (connections stay open), resume() goes on. */
async function stallProxy(target) {
  const sockets = new Set();
  let stalled = false;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(from);
      if (stalled) from.pause();
      from.on('data', (chunk) => to.writable && to.write(chunk));
      from.on('close', () => (sockets.delete(from), to.destroy()));
      from.on('error', () => from.destroy());
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    // A paused socket emits nothing; the kernel's buffers fill and TCP holds the rest: no byte is lost.
    stall: () => ((stalled = true), sockets.forEach((s) => s.pause())),
    resume: () => ((stalled = false), sockets.forEach((s) => s.resume())),
    close: () => (sockets.forEach((s) => s.destroy()), new Promise((resolve) => server.close(resolve))),
  };
}

/** A process's resident set (bytes); null where /proc is missing. */
function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return null;
  }
}

/** The 99th percentile of the requests' latencies (NaN for none). */
function p99(requests) {
  const xs = requests.map((r) => r.ms).sort((a, b) => a - b);
  return xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] : NaN;
}

/**
 * Runs the fault on a database that already has the seed's users and sessions (`tokens` are theirs): starts its
 * own app through a proxy to `mysqlUrl` (the schema must be there, or `migrate`), and stops it after.
 */
export async function dbStall(mysqlUrl, tokens, { seconds = DB_STALL_S, migrate = false } = {}) {
  const url = new URL(mysqlUrl);
  const proxy = await stallProxy({ host: url.hostname, port: Number(url.port || 3306) });
  const proxied = new URL(mysqlUrl);
  proxied.port = String(proxy.port);
  const server = await start('db stall', join(here, 'app-server.mjs'), port(33), {
    DATABASE_URL: proxied.href,
    SESSION_CACHE: 'off',
    MIGRATIONS_RUN: migrate ? 'true' : 'false',
  });
  const origin = `http://127.0.0.1:${server.port}/v1/auth/me`;
  const requests = [];
  let stop = false;
  let i = 0;
  const worker = async () => {
    while (!stop) {
      const authorization = tokens[i++ % tokens.length];
      const r = { start: performance.now() };
      try {
        const res = await fetch(origin, { headers: { authorization }, signal: AbortSignal.timeout(TIMEOUT_MS) });
        await res.arrayBuffer();
        r.status = res.status;
        r.retryAfter = res.headers.get('retry-after');
      } catch (e) {
        r.status = e?.name === 'TimeoutError' ? 'timeout' : 'error';
      }
      r.end = performance.now();
      r.ms = r.status === 'timeout' ? TIMEOUT_MS : r.end - r.start;
      requests.push(r);
      // A failing request answers at once: a short pause, so a refused port does not spin the loop.
      if (r.status === 'error') await sleep(10);
    }
  };
  const workers = Array.from({ length: CONNECTIONS }, worker);

  await sleep(NORMAL_S * 1000);
  const rssBefore = rss(server.pid);
  let rssPeak = rssBefore ?? 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss(server.pid) ?? 0)), 100);
  const stallStart = performance.now();
  proxy.stall();
  await sleep(seconds * 1000);
  proxy.resume();
  const stallEnd = performance.now();
  const firstOk = () => requests.find((r) => r.start >= stallEnd && r.status === 200);
  while (!firstOk() && performance.now() - stallEnd < RECOVERY_MAX_S * 1000) await sleep(20);
  await sleep(500); // the memory still held just after recovery counts too
  stop = true;
  await Promise.all(workers);
  clearInterval(sampler);
  server.stop();
  await proxy.close();

  const ok = firstOk();
  // Answers during the stall: every request in flight at some point of it (those sent just before it included).
  const normal = requests.filter((r) => r.end < stallStart);
  const during = requests.filter((r) => r.end >= stallStart && r.start < stallEnd);
  const statuses = {};
  for (const r of during) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const mib = (b) => (b === null ? null : b / 2 ** 20);
  return {
    seconds,
    connections: CONNECTIONS,
    timeoutMs: TIMEOUT_MS,
    normal: { rps: normal.length / NORMAL_S, p99: p99(normal) },
    sent: during.length,
    p99: p99(during),
    statuses,
    without503RetryAfter: during.filter((r) => r.status === 503 && !r.retryAfter).length,
    // Anything but a 503 with Retry-After or a 200 (one sent just before the stall ended may still get through).
    bad: during.filter((r) => !(r.status === 200 || (r.status === 503 && r.retryAfter))).length,
    rssBeforeMiB: mib(rssBefore),
    rssPeakMiB: mib(rssPeak),
    recoveryMs: ok ? ok.end - stallEnd : null,
  };
}

/** The Markdown table of one dbStall result. */
export function dbStallTable(r) {
  const n0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '?');
  const byStatus = Object.entries(r.statuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  return `Database stalled ${r.seconds} s under ${r.connections} connections (GET /v1/auth/me, SESSION_CACHE=off, client timeout ${r.timeoutMs} ms, a timed-out request counted as the timeout):

| before the stall: req/s, p99 ms | requests in flight during the stall | p99 during the stall ms | answers by status | 503s without Retry-After | RSS before → peak MiB | RSS growth MiB | recovery ms (stall's end → first 200) |
|---|---|---|---|---|---|---|---|
| ${n0(r.normal.rps)}, ${n0(r.normal.p99)} | ${r.sent} | ${r.p99 >= r.timeoutMs ? '≥ ' : ''}${n0(r.p99)} | ${byStatus || 'none'} | ${r.without503RetryAfter} | ${n0(r.rssBeforeMiB)} → ${n0(r.rssPeakMiB)} | ${n0(r.rssPeakMiB - r.rssBeforeMiB)} | ${r.recoveryMs === null ? `none within ${RECOVERY_MAX_S} s` : n0(r.recoveryMs)} |`;
}

/** The target rows of one dbStall result (report.mjs's `target` formatter). */
export const dbStallTargets = (r, target) => {
  // A p99 at the client timeout is a lower bound, not a figure: the target is not shown met.
  const capped = r.p99 >= r.timeoutMs;
  const got = `${capped ? '≥ ' : ''}${(r.p99 / 1000).toFixed(2)} s${capped ? ' (the client timeout)' : ''}`;
  return [
    target(`database stalled ${r.seconds} s: p99 during the stall`, '≤ 2.5 s', got, !capped && r.p99 <= 2500),
    target(
      'database stalled: answers neither 200 nor 503 with Retry-After (timeouts, errors, other statuses)',
      '0',
      String(r.bad),
      r.bad === 0,
    ),
  ].join('\n');
};

async function main() {
  const mysqlUrl = process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/bench_db_stall';
  await freshDatabase(mysqlUrl);
  // The schema first (a server that runs the migrations, then stops), then the seed, then the measured run.
  const migrated = await start('db stall migrate', join(here, 'app-server.mjs'), port(34), {
    DATABASE_URL: mysqlUrl,
    SESSION_CACHE: 'off',
  });
  migrated.stop();
  await sleep(1000);
  await runSql(
    { type: 'mysql', url: mysqlUrl },
    seedStatements('mysql', { users: 1_000, sessions: 1_000, passwordHash: 'unused', now: Date.now() }),
  );
  const r = await dbStall(mysqlUrl, seededTokens(1_000));
  console.log(dbStallTable(r));
  console.log(
    dbStallTargets(r, (what, wanted, got, met) => `| ${what} | ${wanted} | ${got} | ${met ? 'yes' : '**no**'} |`),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main()
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(stopAll);
