/**
 * The outbox's SQL. Rows: `pending` (due at `due_at`; while claimed, `due_at` is the end of the
 * claim's lease, so a crashed claimer's rows fall due again), `delivered` or `failed`.
 */
export const INSERT_SQL =
  'INSERT INTO outbox (id, channel, payload, state, attempts, due_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)';

const list = (n: number) => Array(n).fill('?').join(', ');

/**
 * MySQL 8 / MariaDB 10.6+: rows another instance is claiming are skipped, not waited for. Only
 * rows of the `channels` channels this instance delivers (its settings may differ from another's).
 */
export const pickMysqlSql = (channels: number) =>
  `SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ? AND channel IN (${list(channels)}) ` +
  'ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED';

export const claimSql = (n: number) =>
  `UPDATE outbox SET claim = ?, due_at = ?, attempts = attempts + 1 WHERE id IN (${list(n)})`;

/** SQLite has one writer: one conditional UPDATE claims a batch. */
export const claimSqliteSql = (channels: number) =>
  'UPDATE outbox SET claim = ?, due_at = ?, attempts = attempts + 1 WHERE id IN ' +
  `(SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ? AND channel IN (${list(channels)}) ` +
  'ORDER BY due_at LIMIT ?)';

export const CLAIMED_SQL =
  "SELECT id, channel, payload, attempts, claim FROM outbox WHERE claim = ? AND state = 'pending' ORDER BY due_at";

/** Only while the claim is still ours: a claim that outlived its lease may have been taken over. */
export const DELIVERED_SQL =
  "UPDATE outbox SET state = 'delivered', done_at = ?, last_error = NULL, claim = NULL WHERE id = ? AND claim = ?";
export const DELIVERED_ERASED_SQL =
  "UPDATE outbox SET state = 'delivered', done_at = ?, last_error = NULL, claim = NULL, payload = '' " +
  'WHERE id = ? AND claim = ?';
export const RETRY_SQL = 'UPDATE outbox SET due_at = ?, last_error = ?, claim = NULL WHERE id = ? AND claim = ?';
export const FAILED_SQL =
  "UPDATE outbox SET state = 'failed', done_at = ?, last_error = ?, claim = NULL WHERE id = ? AND claim = ?";
export const FAILED_ERASED_SQL =
  "UPDATE outbox SET state = 'failed', done_at = ?, last_error = ?, claim = NULL, payload = '' " +
  'WHERE id = ? AND claim = ?';
/** At shutdown: a row this instance claimed and did not finish is due again at once, for another instance. */
export const RELEASE_SQL =
  "UPDATE outbox SET due_at = ?, claim = NULL, attempts = attempts - 1 WHERE id = ? AND claim = ? AND state = 'pending'";

export const PRUNE_SELECT_SQL = 'SELECT id FROM outbox WHERE state = ? AND done_at < ? ORDER BY done_at LIMIT ?';
export const pruneSql = (n: number) => `DELETE FROM outbox WHERE id IN (${list(n)})`;
