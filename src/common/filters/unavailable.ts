/** Error codes that mean "the database (or Redis) cannot be reached right now", not "this request is wrong". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // SqlDriver: no pooled connection came free in time (a stalled database).
  'POOL_QUEUE_TIMEOUT',
]);
/** mysql2's refusals when its pool's queue is full (DATABASE_QUEUE_LIMIT) or closing: no code of their own. */
const POOL_FULL = /^(Queue limit reached|Pool is closed)\.?$/;

/**
 * Codes that mean "the database answers but will not store this now": a read-only file, user or
 * server, a full disk or tablespace, a failing disk. Not the request's fault, and not ours to
 * show as a bug.
 */
const WRITE_REFUSED = new Set([
  // MySQL/MariaDB: read_only/super_read_only; innodb_read_only; no write grant; table or tablespace
  // full (InnoDB's answer to a full disk); disk full.
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_INNODB_READ_ONLY',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_RECORD_FILE_FULL',
  'ER_DISK_FULL',
]);
/**
 * The schema is not the one the code needs (a table missing: a migration not applied, or
 * dropped under the running service): nothing a client did, and readiness reports it. 503.
 */
const SCHEMA_MISSING = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR']);
const SQLITE_SCHEMA_MISSING = /^(no such table|no such column|table \S+ has no column named)/;
/**
 * MySQL/MariaDB: the transaction lost a deadlock (InnoDB rolled it back whole), or waited
 * innodb_lock_wait_timeout for a lock. Nothing is wrong with the request: TransactionRunner runs
 * it again, and one that still conflicts is a 503, never a 500.
 */
const LOCK_CONFLICT = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const LOCK_CONFLICT_ERRNO = new Set([1213, 1205]);

/** SQLite primary codes, with their extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE…). */
const SQLITE_BUSY = /^SQLITE_BUSY(_|$)/;
const SQLITE_WRITE_REFUSED = /^SQLITE_(READONLY|FULL|IOERR)(_|$)/;

// ioredis, with no offline queue, refuses commands while disconnected.
const REDIS_DOWN = /Stream isn't writeable|Connection is closed|Reached the max retries per request/;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  name?: unknown;
}

/** True when `test` holds for the error, TypeORM's QueryFailedError.driverError or an error cause. */
function anyLayer(exception: unknown, test: (e: DriverError) => boolean, depth = 0): boolean {
  if (typeof exception !== 'object' || exception === null || depth > 3) return false;
  const e = exception as DriverError;
  return test(e) || anyLayer(e.driverError, test, depth + 1) || anyLayer(e.cause, test, depth + 1);
}

const codeOf = (e: DriverError) => (typeof e.code === 'string' ? e.code : '');

/** A deadlock or lock wait timeout (see LOCK_CONFLICT): worth running the transaction again. */
export function isLockConflict(exception: unknown): boolean {
  return anyLayer(
    exception,
    (e) => LOCK_CONFLICT.has(codeOf(e)) || (typeof e.errno === 'number' && LOCK_CONFLICT_ERRNO.has(e.errno)),
  );
}

/** The database refused to store something: see WRITE_REFUSED. Readiness watches for these. */
export function isWriteRefused(exception: unknown): boolean {
  return anyLayer(exception, (e) => WRITE_REFUSED.has(codeOf(e)) || SQLITE_WRITE_REFUSED.test(codeOf(e)));
}

/**
 * True for connection-level failures, refused writes and lock conflicts that outlasted their retries. They become 503: a client must not
 * drop its tokens over our outage (401), and a 500 would suggest a bug.
 */
export function isServiceUnavailable(exception: unknown): boolean {
  return (
    isWriteRefused(exception) ||
    isLockConflict(exception) ||
    anyLayer(exception, (e) => {
      const code = codeOf(e);
      if (UNREACHABLE.has(code) || SQLITE_BUSY.test(code)) return true;
      if (typeof e.message === 'string' && POOL_FULL.test(e.message)) return true;
      if (SCHEMA_MISSING.has(code)) return true;
      if (code === 'SQLITE_ERROR' && typeof e.message === 'string' && SQLITE_SCHEMA_MISSING.test(e.message))
        return true;
      if (e.fatal === true && code) return true;
      return e.name === 'MaxRetriesPerRequestError' || (typeof e.message === 'string' && REDIS_DOWN.test(e.message));
    })
  );
}
