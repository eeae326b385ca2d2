/**
 * The sessions module's hand-written SQL: the statements run straight on the driver
 * (SqlDriver), where a query builder would cost several times the CPU per call, and the
 * expressions the repository's query builders embed. Both databases run the same text. What
 * the repository sends, these and TypeORM's, is committed in queries/ and checked by
 * test/repository/sessions.repository.e2e-spec.ts.
 */
import type { SessionEntity } from './session.entity.js';

// `user_id` too, although `id` alone is the key: sharded by user (Vitess, TiDB) this stays a one-shard read.
// The user row joins on its primary key, and its grants come from user_roles' primary key (user_id, role), so
// GET /v1/auth/me needs no second read: its roles are the ones the admin guard would find.
const AUTH_FROM = `s.user_id, s.token_deleted, s.logged_out, s.expires_at, s.last_active_at, s.created_at,
  s.device_name, s.device_type, s.device_vendor, s.device_model, s.browser_name, s.browser_version,
  s.os_name, s.os_version, s.user_agent, s.ip_address, s.location_country, s.location_region, s.location_city,
  s.last_ip_address, s.last_location_country, s.last_location_region, s.last_location_city,
  u.email, u.name, u.email_verified_at, u.created_at AS user_created_at,
  (SELECT GROUP_CONCAT(r.role) FROM user_roles r WHERE r.user_id = u.id) AS granted_roles
  FROM sessions s JOIN users u ON u.id = s.user_id`;

/** The per-request session read: one row by primary key, with what GET /v1/auth/me shows. */
export const AUTH_SQL = `SELECT ${AUTH_FROM} WHERE s.id = ? AND s.user_id = ?`;

/** The same read for `n` (session, user) pairs at once: a range on the primary key, still keyed by user. */
export const authSqlMany = (n: number) =>
  `SELECT s.id, ${AUTH_FROM} WHERE (s.id, s.user_id) IN (${'(?, ?), '.repeat(n - 1)}(?, ?))`;

/** Most pairs in one statement (padded to a power of two: at most log2 + 1 statement shapes). */
export const AUTH_READS_MAX = 64;

/**
 * The batched touch (ActivityWriter): `last_active_at = ?` on the live sessions among `n` ids
 * whose stored time is at or before `?`. Id lists are padded to a power of two, so there are at
 * most log2(TOUCH_BATCH_MAX) + 1 statements to prepare, whatever the batch sizes.
 */
export const TOUCH_BATCH_MAX = 256;
export const touchSql = (n: number) =>
  'UPDATE sessions SET last_active_at = ? WHERE token_deleted = ? AND last_active_at <= ? ' +
  `AND id IN (${'?, '.repeat(n - 1)}?)`;

/** A rotation's `last_active_at`: moved forward only, since a batched touch may have stored a later time meanwhile. */
export const LAST_ACTIVE_FORWARD_SQL = 'CASE WHEN last_active_at < :now THEN :now ELSE last_active_at END';

/**
 * The revocation log (SessionEndingsLog): one row per ending, written in the ending's
 * transaction; every instance with a shared cache reads it before it renews its cache lease.
 * `session_ids` NULL: every session of the user.
 */
export const APPEND_ENDING_SQL = 'INSERT INTO session_endings (user_id, session_ids, created_at) VALUES (?, ?, ?)';
export const READ_ENDINGS_SQL =
  'SELECT seq, user_id, session_ids FROM session_endings WHERE seq > ? ORDER BY seq LIMIT ?';
/** Where a tail starts: endings older than the gap window have long committed, and the cache starts empty. */
export const ENDINGS_START_SQL = 'SELECT MAX(seq) AS seq FROM session_endings WHERE created_at < ?';
export const OLD_ENDINGS_SQL = 'SELECT seq FROM session_endings WHERE created_at < ? ORDER BY seq LIMIT ?';
export const deleteEndingsSql = (n: number) => `DELETE FROM session_endings WHERE seq IN (${'?, '.repeat(n - 1)}?)`;

/**
 * Every column of a session row, by the entity's field: a field added to SessionEntity fails
 * the type check until it is listed here, so the insert below always writes every column.
 */
export const SESSION_COLUMNS: { readonly [K in keyof SessionEntity]-?: string } = {
  id: 'id',
  userId: 'user_id',
  deviceName: 'device_name',
  deviceType: 'device_type',
  deviceVendor: 'device_vendor',
  deviceModel: 'device_model',
  browserName: 'browser_name',
  browserVersion: 'browser_version',
  osName: 'os_name',
  osVersion: 'os_version',
  userAgent: 'user_agent',
  ipAddress: 'ip_address',
  country: 'location_country',
  region: 'location_region',
  city: 'location_city',
  lastIpAddress: 'last_ip_address',
  lastCountry: 'last_location_country',
  lastRegion: 'last_location_region',
  lastCity: 'last_location_city',
  createdAt: 'created_at',
  lastActiveAt: 'last_active_at',
  expiresAt: 'expires_at',
  tokenDeleted: 'token_deleted',
  loggedOut: 'logged_out',
  endedAt: 'ended_at',
  endReason: 'end_reason',
  refreshTokenHash: 'refresh_token_hash',
  refreshSeed: 'refresh_seed',
  refreshGeneration: 'refresh_generation',
  refreshedAt: 'refreshed_at',
  authenticatedAt: 'authenticated_at',
};

/** The fields of SESSION_COLUMNS in order: SessionsRepository.insert binds them in this order. */
export const SESSION_FIELDS = Object.keys(SESSION_COLUMNS) as (keyof SessionEntity)[];

/**
 * A login's session, stored only while the user's credential version is the one the login
 * checked the password under (the last two parameters: user id, version): a login that checked
 * a password a change or reset has since replaced stores nothing. One statement, so the check
 * and the write cannot be told apart by a change: on MySQL/MariaDB (REPEATABLE READ) the SELECT
 * of an INSERT … SELECT reads the user row with a shared lock, so it waits for a change holding
 * the row and then reads the new version; SQLite has a single writer.
 */
export const INSERT_IF_CURRENT_SQL =
  `INSERT INTO sessions (${SESSION_FIELDS.map((f) => SESSION_COLUMNS[f]).join(', ')}) ` +
  `SELECT ${SESSION_FIELDS.map(() => '?').join(', ')} FROM users WHERE id = ? AND credential_version = ?`;
