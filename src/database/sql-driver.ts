import { EventEmitter } from 'node:events';
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

/** mysql2's error for a statement that outran its `timeout`. */
const STATEMENT_TIMEOUT = 'PROTOCOL_SEQUENCE_TIMEOUT';
const guarded = new WeakSet<PoolConnection>();

/**
 * mysql2's statement timeout ends the caller's wait but leaves the command at the head of its
 * connection, which then goes back to the pool: every later statement on it queues behind one
 * that may never answer. So a connection whose statement timed out is destroyed (it leaves the
 * pool; its later `release()` is a no-op) and the pool opens a fresh one when next asked. Both
 * TypeORM's queries and ours (`pool.execute`) take their connection through `getConnection`.
 */
/**
 * mysql2's `destroy()` only half-closes the socket and leaves the commands queued behind the
 * stuck one waiting for ever. Its fatal-error path fails each of them, takes the connection out
 * of the pool and closes it.
 */
function failConnection(connection: PoolConnection, answered: boolean): void {
  const c = connection as unknown as {
    _command: unknown;
    _handleFatalError(e: Error): void;
    stream: { destroy(): void };
  };
  // The stuck command has had its timeout error: only the ones behind it are told.
  if (answered) c._command = null;
  c._handleFatalError(
    Object.assign(new Error('the connection was closed after a statement on it timed out'), {
      code: 'PROTOCOL_CONNECTION_LOST',
    }),
  );
  c.stream.destroy();
}

function destroyOnTimeout(connection: PoolConnection): void {
  if (guarded.has(connection)) return;
  guarded.add(connection);
  let destroyed = false;
  for (const method of ['query', 'execute'] as const) {
    const original = (connection[method] as (...args: unknown[]) => unknown).bind(connection);
    (connection as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const last = args.length - 1;
      const cb = args[last];
      if (typeof cb !== 'function') return original(...args);
      // A later statement on it (TypeORM's ROLLBACK) would queue behind the stuck one for ever: it fails at once.
      if (destroyed) {
        const error = Object.assign(new Error('the connection was closed after a statement timed out'), {
          code: 'PROTOCOL_CONNECTION_LOST',
          fatal: true,
        });
        process.nextTick(() => (cb as (e: Error) => void)(error));
        return new EventEmitter();
      }
      let answered = false;
      let timer: NodeJS.Timeout | undefined;
      args[last] = (err: NodeJS.ErrnoException | null, ...rest: unknown[]) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        if (err?.code === STATEMENT_TIMEOUT && !destroyed) {
          destroyed = true;
          failConnection(connection, true);
        }
        return (cb as (...a: unknown[]) => unknown)(err, ...rest);
      };
      // `execute` first prepares the statement on this connection, and mysql2 bounds only the
      // execution: a prepare the database never answers is bounded here, by the same timeout.
      const timeout = (args[0] as { timeout?: number }).timeout;
      if (method === 'execute' && timeout)
        timer = setTimeout(() => {
          if (answered || destroyed) return;
          destroyed = true;
          failConnection(connection, false);
        }, timeout);
      return original(...args);
    };
  }
}

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
        if (!err) destroyOnTimeout(connection);
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
