import { QueryFailedError } from 'typeorm';

const codeAndMessage = (e: QueryFailedError) => `${(e as { code?: string }).code} ${e.message}`;

/** Whether a write failed on a unique index (MySQL/MariaDB or SQLite). */
export const isUniqueViolation = (e: unknown): boolean =>
  e instanceof QueryFailedError && /ER_DUP_ENTRY|UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(codeAndMessage(e));

/**
 * Whether InnoDB chose this transaction as a deadlock's victim (rolled back): concurrent inserts
 * of the same unique key can end so rather than in a duplicate-key error.
 */
export const isDeadlock = (e: unknown): boolean =>
  e instanceof QueryFailedError && /ER_LOCK_DEADLOCK|Deadlock found/i.test(codeAndMessage(e));
