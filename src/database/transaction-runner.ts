import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SqlDriver } from './sql-driver.js';

/**
 * Runs a unit of work in one transaction, handing it the transaction's manager; repository
 * methods that may run inside one take it as their last argument. Passed by hand, not through
 * AsyncLocalStorage: on Node 20 one AsyncLocalStorage.run() turns on promise hooks for the
 * rest of the process, which cost ~10 % of the request throughput in `npm run bench`.
 *
 * SQLite (better-sqlite3) has one connection per process: TypeORM would turn a second,
 * concurrent transaction into a savepoint of the first, so transactions are queued here.
 */
@Injectable()
export class TransactionRunner {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly db: SqlDriver,
  ) {}

  /** The manager outside any transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const execute = () => this.dataSource.transaction(work);
    if (!this.db.embedded) return execute();
    const result = this.queue.then(execute, execute);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
