import { Injectable } from '@nestjs/common';
import type { Database, Statement as SqliteStatement } from 'better-sqlite3';
import type { Pool, ResultSetHeader } from 'mysql2';
import { DataSource } from 'typeorm';

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

/**
 * The only code that reaches past TypeORM into its drivers, and the only one that asks which
 * database this is. Statements are prepared per SQL text: better-sqlite3 prepares each once;
 * mysql2's `execute` prepares on each pooled connection and keeps it there.
 */
@Injectable()
export class SqlDriver {
  readonly dialect: 'mysql' | 'sqlite';
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
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
        (this.dataSource.driver as unknown as { pool: Pool }).pool.execute(sql, params, (err, result) =>
          err ? reject(err) : resolve(result as T),
        ),
      );
    return {
      get: async (params) => (await execute<SqlRow[]>(params))[0],
      all: (params) => execute<SqlRow[]>(params),
      run: async (params) => (await execute<ResultSetHeader>(params)).affectedRows,
    };
  }
}
