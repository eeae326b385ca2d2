// Bulk SQL seeding (not through the API): users u-1..u-N, sessions s-1..s-M (M/N per user), all live.
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';

const SESSION_COLUMNS = `id, user_id, device_name, device_type, browser_name, os_name, user_agent, ip_address,
  created_at, last_active_at, expires_at, token_deleted, logged_out, ended_at, end_reason, refresh_token_hash, refresh_seed, refresh_generation, refreshed_at`;

/** A version-4-shaped UUID from a sequence number: `00000000-0000-4000-<kind>-<n, 12 digits>` (the API validates ids). */
export function uuid(dialect, kind) {
  return dialect === 'mysql'
    ? `CONCAT('00000000-0000-4000-${kind}-', LPAD(n, 12, '0'))`
    : `'00000000-0000-4000-${kind}-' || printf('%012d', n)`;
}
export const sessionId = (kind, n) => `00000000-0000-4000-${kind}-${String(n).padStart(12, '0')}`;

/** SELECT list producing one session row from sequence value `n`, dialect-specific string building. */
function sessionSelect(dialect, { idPrefix, user, now, ended }) {
  const endedCols = ended ? `1, 1, ${now}, 'logout'` : `0, 0, NULL, NULL`;
  return `SELECT ${uuid(dialect, idPrefix)}, ${user}, 'Chrome on macOS', 'desktop', 'Chrome', 'macOS', 'bench', '203.0.113.7',
    ${now}, ${now}, ${now + 30 * 86_400_000}, ${endedCols}, '${'0'.repeat(64)}', '${'1'.repeat(64)}', 0, ${now}`;
}

const seq = (dialect, count) =>
  dialect === 'mysql'
    ? `(SELECT seq AS n FROM seq_1_to_${count})`
    : `(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${count}) SELECT n FROM s)`;

export function seedStatements(dialect, { users, sessions, passwordHash, now }) {
  const cat = (...parts) => (dialect === 'mysql' ? `CONCAT(${parts.join(', ')})` : parts.join(' || '));
  const userOf = dialect === 'mysql' ? `CONCAT('u-', ((n - 1) % ${users}) + 1)` : `'u-' || (((n - 1) % ${users}) + 1)`;
  return [
    'DELETE FROM sessions',
    'DELETE FROM users',
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
       SELECT ${cat(`'u-'`, 'n')}, ${cat(`'bench'`, 'n', `'@example.com'`)}, 'Bench', '${passwordHash}', ${now}, ${now} FROM ${seq(dialect, users)} q`,
    `INSERT INTO sessions (${SESSION_COLUMNS}) ${sessionSelect(dialect, { idPrefix: '8000', user: userOf, now, ended: false })} FROM ${seq(dialect, sessions)} q`,
  ];
}

/** `count` sessions of one user (live or ended), e.g. the 100-session user or filler for the 1,000,000-row table. */
export function extraSessions(dialect, { idPrefix, userExpr, count, now, ended }) {
  return `INSERT INTO sessions (${SESSION_COLUMNS}) ${sessionSelect(dialect, { idPrefix, user: userExpr, now, ended })} FROM ${seq(dialect, count)} q`;
}

export async function runSql(db, statements) {
  if (db.type === 'sqlite') {
    const conn = new Database(db.path);
    conn.pragma('foreign_keys = ON');
    conn.transaction(() => statements.forEach((s) => conn.exec(s)))();
    conn.close();
    return;
  }
  const conn = await createConnection(db.url);
  try {
    for (const s of statements) await conn.query(s);
  } finally {
    await conn.end();
  }
}
