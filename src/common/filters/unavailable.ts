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
  'SQLITE_BUSY',
]);
// ioredis, with no offline queue, refuses commands while disconnected.
const REDIS_DOWN = /Stream isn't writeable|Connection is closed|Reached the max retries per request/;

/**
 * True for connection-level failures, looking through TypeORM's QueryFailedError (driverError)
 * and error causes. They become 503: a client must not drop its tokens over our outage (401),
 * and a 500 would suggest a bug.
 */
export function isServiceUnavailable(exception: unknown, depth = 0): boolean {
  if (typeof exception !== 'object' || exception === null || depth > 3) return false;
  const e = exception as {
    code?: unknown;
    fatal?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    name?: unknown;
  };
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) return true;
  if (e.fatal === true && typeof e.code === 'string') return true;
  if (e.name === 'MaxRetriesPerRequestError' || (typeof e.message === 'string' && REDIS_DOWN.test(e.message)))
    return true;
  return isServiceUnavailable(e.driverError, depth + 1) || isServiceUnavailable(e.cause, depth + 1);
}
