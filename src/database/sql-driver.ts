import { Injectable, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Database, Statement as SqliteStatement } from 'better-sqlite3';
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2';
import { DataSource } from 'typeorm';
import { type AppConfig, type DatabaseLimits, DEFAULT_DATABASE_LIMITS } from '../config/configuration.js';

export type SqlParam = string | number;
export type SqlRow = Record<string, unknown>;

/** One statement with `?` placeholders, run straight on the driver (no query builder, no entity hydration). */
export interface Statement {
  /** The first row, if any. */
  get(params: SqlParam[]): Promise<SqlRow | undefined>;
  all(params: SqlParam[]): Promise<SqlRow[]>;
  /** Runs a write; resolves with how many rows it changed. */
  run(params: SqlParam[]): Promise<number>;
}

/** Thrown (and answered 503) when no pooled connection came free within DATABASE_QUEUE_TIMEOUT_MS. */
export const POOL_QUEUE_TIMEOUT = 'POOL_QUEUE_TIMEOUT';

/**
 * The only code that reaches past TypeORM into its drivers, and the only one that asks which
 * database this is. Statements are prepared per SQL text: better-sqlite3 prepares each once;
 * mysql2's `execute` prepares on each pooled connection and keeps it there.
 *
 * It also bounds what a stalled database can hold (MySQL): every statement, TypeORM's and ours,
 * times out after DATABASE_STATEMENT_TIMEOUT_MS (turned on here, after the migrations, which
 * may run long DDL); a request waits for a pooled connection at most DATABASE_QUEUE_TIMEOUT_MS,
 * and beyond DATABASE_QUEUE_LIMIT waiting ones it is refused at once. All three are 503.
 */
@Injectable()
export class SqlDriver {
  readonly dialect: 'mysql' | 'sqlite';
  private readonly statements = new Map<string, Statement>();
  private readonly limits: DatabaseLimits;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() config?: ConfigService<AppConfig, true>,
  ) {
    this.dialect = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
    this.limits = config?.get('databaseLimits', { infer: true }) ?? DEFAULT_DATABASE_LIMITS;
    if (this.dialect === 'mysql' && dataSource.isInitialized) this.boundMysql();
  }

  private boundMysql(): void {
    // TypeORM reads these on every query (MysqlQueryRunner.query): its per-query mysql2 `timeout`.
    Object.assign(this.dataSource.driver.options, {
      enableQueryTimeout: true,
      maxQueryExecutionTime: this.limits.statementTimeoutMs,
    });
    const pool = (this.dataSource.driver as unknown as { pool: Pool }).pool;
    const getConnection = pool.getConnection.bind(pool);
    const waitMs = this.limits.queueTimeoutMs;
    // mysql2 has no acquire timeout: a request queued behind stalled connections would wait for ever.
    pool.getConnection = (cb: (err: NodeJS.ErrnoException | null, connection: PoolConnection) => void) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        const error = Object.assign(new Error(`no database connection came free within ${waitMs} ms`), {
          code: POOL_QUEUE_TIMEOUT,
        });
        cb(error, undefined as unknown as PoolConnection);
      }, waitMs);
      getConnection((err, connection) => {
        if (!late) {
          clearTimeout(timer);
          cb(err, connection);
        } else if (!err) connection.release();
      });
    };
  }

  /**
   * SQLite: the database runs inside this process on one connection, so a statement costs no
   * round trip, and two transactions cannot run at once (TransactionRunner queues them).
   */
  get embedded(): boolean {
    return this.dialect === 'sqlite';
  }

  /** The statement for `sql`, prepared on first use. */
  statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.embedded ? this.sqlite(sql) : this.mysql(sql)));
    return statement;
  }

  private sqlite(sql: string): Statement {
    let prepared: SqliteStatement | undefined;
    const connection = () => (this.dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
    // Prepared on first use, not here: better-sqlite3 checks the statement against the schema.
    const statement = () => (prepared ??= connection().prepare(sql));
    return {
      get: async (params) => statement().get(...params) as SqlRow | undefined,
      all: async (params) => statement().all(...params) as SqlRow[],
      run: async (params) => statement().run(...params).changes,
    };
  }

  private mysql(sql: string): Statement {
    const execute = <T>(params: SqlParam[]) =>
      new Promise<T>((resolve, reject) =>
        // The pool is looked up on each call: it is TypeORM's, and tests count what runs on it.
        (this.dataSource.driver as unknown as { pool: Pool }).pool.execute(
          { sql, timeout: this.limits.statementTimeoutMs },
          params,
          (err, result) => (err ? reject(err) : resolve(result as T)),
        ),
      );
    return {
      get: async (params) => (await execute<SqlRow[]>(params))[0],
      all: (params) => execute<SqlRow[]>(params),
      run: async (params) => (await execute<ResultSetHeader>(params)).affectedRows,
    };
  }
}
