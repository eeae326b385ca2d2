import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as BIGINT epoch milliseconds (UTC) on both databases: exact, index-friendly,
 * and free of the driver- and server-timezone conversions that DATETIME brings.
 * mysql2 hands BIGINT back as a string; SQLite as a number.
 */
export const millis: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
