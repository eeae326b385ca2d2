/**
 * The sessions module's hand-written SQL: the statements run straight on the driver
 * (SqlDriver), where a query builder would cost several times the CPU per call, and the
 * expressions the repository's query builders embed. Both databases run the same text. What
 * the repository sends, these and TypeORM's, is committed in queries/ and checked by
 * test/repository/sessions.repository.e2e-spec.ts.
 */

// `user_id` too, although `id` alone is the key: sharded by user (Vitess, TiDB) this stays a one-shard read.
// The user row joins on its primary key, so GET /v1/auth/me needs no second read.
const AUTH_FROM = `s.user_id, s.token_deleted, s.logged_out, s.expires_at, s.last_active_at, s.created_at,
  s.device_name, s.device_type, s.device_vendor, s.device_model, s.browser_name, s.browser_version,
  s.os_name, s.os_version, s.user_agent, s.ip_address, s.location_country, s.location_region, s.location_city,
  s.last_ip_address, s.last_location_country, s.last_location_region, s.last_location_city,
  u.email, u.name, u.email_verified_at, u.created_at AS user_created_at
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
