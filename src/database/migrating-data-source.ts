import { performance } from 'node:perf_hooks';
import { DataSource, Migration } from 'typeorm';

/** How long an instance waits for another one's migrations before it gives up (and is restarted). */
const LOCK_WAIT_S = 120;

type RunOptions = Parameters<DataSource['runMigrations']>[0];
type UndoOptions = Parameters<DataSource['undoLastMigration']>[0];

/**
 * A DataSource whose migrations run under a lock, for the app's start (migrationsRun) and the
 * TypeORM CLI (ormconfig.ts) alike: instances started together on an empty database would all
 * read "nothing applied" and all create the tables, and all but one would exit with "Table
 * 'users' already exists". On MySQL/MariaDB a named lock (GET_LOCK, held by one connection and
 * released if that connection dies); on SQLite the database's write lock, taken at once with
 * BEGIN IMMEDIATE, with the migrations inside that one transaction.
 */
export class MigratingDataSource extends DataSource {
  override async runMigrations(options?: RunOptions): Promise<Migration[]> {
    // Nothing to do takes no lock: a boot on a read-only database is then readiness's to report.
    if ((await pendingMigrations(this)).length === 0) return [];
    return this.isMysql
      ? this.underNamedLock(() => super.runMigrations(options))
      : this.underWriteLock(() => super.runMigrations({ ...options, transaction: 'none' }));
  }

  override undoLastMigration(options?: UndoOptions): Promise<void> {
    return this.isMysql
      ? this.underNamedLock(() => super.undoLastMigration(options))
      : this.underWriteLock(() => super.undoLastMigration({ ...options, transaction: 'none' }));
  }

  private get isMysql(): boolean {
    return this.options.type === 'mysql';
  }

  private async underNamedLock<T>(work: () => Promise<T>): Promise<T> {
    const runner = this.createQueryRunner('master');
    try {
      // Lock names are server-wide and at most 64 characters: one per database, hashed to fit.
      const [{ name }] = (await runner.query(`SELECT CONCAT('migrations:', MD5(DATABASE())) AS name`)) as {
        name: string;
      }[];
      const [{ got }] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, LOCK_WAIT_S])) as {
        got: number | string | null;
      }[];
      if (Number(got) !== 1) throw lockTimeout();
      try {
        return await work();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    } finally {
      await runner.release();
    }
  }

  private async underWriteLock<T>(work: () => Promise<T>): Promise<T> {
    // SQLite has one connection per process here: the runner is the one the migrations use.
    const runner = this.createQueryRunner();
    const deadline = performance.now() + LOCK_WAIT_S * 1000;
    for (;;) {
      try {
        // Each attempt waits out the busy timeout before it reports SQLITE_BUSY.
        await runner.query('BEGIN IMMEDIATE');
        break;
      } catch (e) {
        if (!isBusy(e)) throw e;
        if (performance.now() > deadline) throw lockTimeout();
      }
    }
    try {
      const result = await work();
      await runner.query('COMMIT');
      return result;
    } catch (e) {
      await runner.query('ROLLBACK');
      throw e;
    }
  }
}

/** The code's migrations the database has not applied, in order (all of them on an empty schema). */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const runner = dataSource.createQueryRunner();
  try {
    const applied = (await runner.hasTable(table))
      ? new Set(((await runner.query(`SELECT name FROM ${table}`)) as { name: string }[]).map((r) => r.name))
      : new Set<string>();
    return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
  } finally {
    await runner.release();
  }
}

function isBusy(e: unknown): boolean {
  const code =
    (e as { driverError?: { code?: unknown }; code?: unknown }).driverError?.code ?? (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function lockTimeout(): Error {
  return new Error(`migrations: another instance held the migration lock for ${LOCK_WAIT_S} s`);
}
