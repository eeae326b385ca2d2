import { Connection, createConnection } from 'mysql2/promise';

/** SQLite always; MySQL/MariaDB too when TEST_MYSQL_URL is set (CI sets it). */
export const testDatabases: ('sqlite' | 'mysql')[] = process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];

/**
 * Each Jest worker gets its own MySQL database (`<db>_w<worker>`) so test files run in
 * parallel without sharing tables; migrations run on it once, tables are emptied per app.
 */
export async function mysqlUrlForWorker(): Promise<string> {
  return (await workerDatabase('', false)).url;
}

/**
 * Empties the worker's signing_keys before an app boots, so each app makes its own first key and
 * no suite inherits another's rotations, revocations or clock (the table may not exist yet).
 */
export async function clearWorkerSigningKeys(): Promise<void> {
  const { name } = await workerDatabase('', false);
  const conn = await mysqlServerConnection();
  try {
    await conn.query(`DELETE FROM \`${name}\`.signing_keys`);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ER_NO_SUCH_TABLE') throw e;
  } finally {
    await conn.end();
  }
}

/** A root connection to the server of TEST_MYSQL_URL, on no database. */
export function mysqlServerConnection(): Promise<Connection> {
  const base = new URL(process.env.TEST_MYSQL_URL!);
  return createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
}

/** A database nobody has migrated, this worker's own (`<db>_w<worker><suffix>`), dropped and made again. */
export function emptyMysqlDatabase(suffix: string): Promise<{ url: string; name: string }> {
  return workerDatabase(suffix, true);
}

async function workerDatabase(suffix: string, fresh: boolean): Promise<{ url: string; name: string }> {
  const base = new URL(process.env.TEST_MYSQL_URL!);
  const name = `${base.pathname.slice(1)}_w${process.env.JEST_WORKER_ID ?? '1'}${suffix}`;
  const conn = await mysqlServerConnection();
  if (fresh) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  base.pathname = `/${name}`;
  return { url: base.toString(), name };
}
