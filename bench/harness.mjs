// What the bench scripts share: tokens, server processes, and one measured load.
// Knobs: BENCH_DURATION (s per run, default 10), BENCH_CONNECTIONS (default 32), BENCH_PORT_BASE (default 4100:
// servers listen on base + n, so two checkouts can smoke-run side by side).
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { sessionId } from './seed.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
export const DURATION = Number(env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
export const SECRET = 'bench-secret-that-is-long-enough-for-hs256-use';
const PORT_BASE = Number(env.BENCH_PORT_BASE ?? 4100);
/** The port of server number `n` (1–99). */
export const port = (n) => PORT_BASE + n;
/** What every load request sends besides its token: a browser's User-Agent, as users' clients do (it is on the access line). */
const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
/** Stops every server this process started. */
export const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));

export function token(userId, sessionId) {
  const b = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b({ alg: 'HS256', typ: 'JWT' })}.${b({ sub: userId, sid: sessionId, jti: `${sessionId}.0`, iat, exp: iat + 3600, iss: 'device-sessions', aud: 'device-sessions' })}`;
  return `Bearer ${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** Tokens for the seed's first `count` users' first sessions (u-k, session 8000-k: one live session each). */
export const seededTokens = (count) =>
  Array.from({ length: count }, (_, k) => token(`u-${k + 1}`, sessionId('8000', k + 1)));

/**
 * The same tokens signed as an ES256/EdDSA server signs them: with its current key, read from the database
 * and decrypted under SECRET as the service does. Returns them with the key's public JWK (for (c)).
 */
export async function keyedTokens(mysqlUrl, alg, count) {
  const { loadConfig } = await import('../dist/src/config/configuration.js');
  const { decryptPrivateKey, signCompact } = await import('../dist/src/keys/key-crypto.js');
  const conn = await createConnection(mysqlUrl);
  const [rows] = await conn.query(
    'SELECT kid, public_jwk, private_key FROM signing_keys WHERE alg = ? AND revoked_at IS NULL ORDER BY generation DESC LIMIT 1',
    [alg],
  );
  await conn.end();
  const [{ kid, public_jwk: jwk, private_key: encrypted }] = rows;
  const key = decryptPrivateKey(encrypted, kid, loadConfig({ JWT_SECRET: SECRET }).keys.encryptionKey);
  const iat = Math.floor(Date.now() / 1000);
  const tokens = Array.from({ length: count }, (_, k) => {
    const sid = sessionId('8000', k + 1);
    const claims = {
      sub: `u-${k + 1}`,
      sid,
      jti: `${sid}.0`,
      iat,
      exp: iat + 3600,
      iss: 'device-sessions',
      aud: 'device-sessions',
    };
    return `Bearer ${signCompact({ alg, kid, typ: 'at+jwt' }, claims, key)}`;
  });
  return { tokens, jwk: JSON.stringify({ ...JSON.parse(jwk), kid, alg }) };
}

/** Drops and recreates the MySQL database `url` names. */
export async function freshDatabase(url) {
  const database = new URL(url).pathname.slice(1);
  const admin = await createConnection(url.replace(/\/[^/]+$/, '/'));
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
}

/** CPU time (user + system, µs) a process has used so far; null where /proc is missing. */
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // clock ticks of 1/100 s (USER_HZ)
  } catch {
    return null;
  }
}

/**
 * What a server wrote to stdout, as a log collector reads it: lines counted as they arrive (access lines apart),
 * the last few kept for an error message. pause() stops reading, so the pipe fills and the server's stdout blocks.
 */
function stdoutReader(stream) {
  const out = { lines: 0, access: 0, dropped: 0, tail: [], paused: false };
  let partial = '';
  stream.setEncoding('utf8').on('data', (chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop();
    for (const line of parts) {
      out.lines++;
      if (line.includes('"msg":"request completed"')) out.access++;
      else {
        const dropped = /"dropped":(\d+)/.exec(line);
        if (dropped) out.dropped += Number(dropped[1]);
        out.tail.push(line);
        if (out.tail.length > 20) out.tail.shift();
      }
    }
  });
  out.pause = () => ((out.paused = true), stream.pause());
  out.resume = () => ((out.paused = false), stream.resume());
  return out;
}

/**
 * Starts a server process (through bench/launch.mjs) and waits until it answers on its port. Its stdout comes
 * to this process through a pipe (read and counted, see stdoutReader), stderr is this process's.
 */
export async function start(name, script, port, extraEnv = {}) {
  const child = fork(join(root, 'bench', 'launch.mjs'), [pathToFileURL(script).href], {
    cwd: root,
    // The default configuration, access line included (LOG_LEVEL=info); targets that price it set warn.
    env: {
      ...env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      JWT_SECRET: SECRET,
      // The HS256 rows measure 0.2's signing; the ES256/EdDSA rows set their own.
      JWT_ALGORITHM: 'HS256',
      PORT: String(port),
      RATE_LIMIT_PER_IP: '1000000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.add(child);
  const stdout = stdoutReader(child.stdout);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${stdout.tail.join('\n')}`);
    try {
      await fetch(`http://127.0.0.1:${port}/v1/auth/me`);
      return {
        name,
        port,
        pid: child.pid,
        stdout,
        gc: () => gcTotals(child),
        stop: () => (child.kill('SIGTERM'), children.delete(child)),
      };
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${name} did not start`);
}

/** A server's GC pauses so far (bench/gc-stats.mjs answers over IPC). */
function gcTotals(child) {
  return new Promise((resolve) => {
    const onMessage = (m) => m?.gc && (child.off('message', onMessage), resolve(m.gc));
    child.on('message', onMessage);
    child.send('gc');
  });
}

/** MariaDB's server process (pid 0 when it runs elsewhere): its CPU during each run is printed beside the app's. */
export const mariadbPid = (() => {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'mariadbd') return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
})();

export async function load(
  port,
  path,
  tokens,
  { method = 'GET', duration = DURATION, connections = CONNECTIONS, pid, gc, stdout, introspect } = {},
) {
  let i = 0;
  const gc0 = gc ? await gc() : null;
  const lines0 = stdout?.lines;
  const cpu0 = pid ? cpuMicros(pid) : null;
  const db0 = mariadbPid ? cpuMicros(mariadbPid) : null;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: introspect ? 'POST' : method,
        path,
        // `introspect` (a Basic header): the token goes in a form body to POST /v1/oauth/introspect instead.
        setupRequest: (req) => {
          const authorization = tokens[i++ % tokens.length];
          if (!introspect) return { ...req, headers: { authorization, 'user-agent': USER_AGENT } };
          return {
            ...req,
            headers: {
              authorization: introspect,
              'content-type': 'application/x-www-form-urlencoded',
              'user-agent': USER_AGENT,
            },
            body: `token=${authorization.slice('Bearer '.length)}`,
          };
        },
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) console.warn(`  ! ${bad} non-2xx/errors of ${result.requests.total}`);
  const cpu1 = pid ? cpuMicros(pid) : null;
  const db1 = mariadbPid ? cpuMicros(mariadbPid) : null;
  // Server CPU per answered request: steadier than req/s on a shared box (it does not count the waiting).
  const cpu =
    cpu0 !== null && cpu1 !== null && result.requests.total > 0 ? (cpu1 - cpu0) / result.requests.total : null;
  const dbMs = db0 !== null && db1 !== null ? (db1 - db0) / 1000 : null;
  const gc1 = gc ? await gc() : null;
  // GC pauses per 1,000 answered requests, and the major collections during the run.
  const gcMs =
    gc1 && result.requests.total > 0
      ? (1000 * (gc1.scavengeMs - gc0.scavengeMs + gc1.majorMs - gc0.majorMs)) / result.requests.total
      : null;
  const majors = gc1 ? gc1.majors - gc0.majors : null;
  // Log lines the server wrote per answered request (1 at info: the access line; the last batch may still be on its way).
  const logLines = stdout && result.requests.total > 0 ? (stdout.lines - lines0) / result.requests.total : null;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    cpu,
    dbMs,
    gcMs,
    majors,
    logLines,
    bad,
    total: result.requests.total,
    sent: result.requests.sent,
  };
}

/** The targets in round `round`'s order: as listed in round 1, then a Fisher–Yates shuffle seeded by the round. */
export function shuffled(list, round) {
  const out = [...list];
  if (round === 1) return out;
  let seed = round * 0x9e3779b9;
  const random = () => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
