import { QueryFailedError } from 'typeorm';

/** Whether a write failed on a unique index (MySQL/MariaDB or SQLite). */
export const isUniqueViolation = (e: unknown): boolean =>
  e instanceof QueryFailedError &&
  /ER_DUP_ENTRY|UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(`${(e as { code?: string }).code} ${e.message}`);
