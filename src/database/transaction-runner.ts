import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a unit of work in one transaction. Repositories pick the transaction's manager up
 * from async-local storage, so services compose repository calls without passing managers.
 *
 * SQLite (better-sqlite3) has one connection per process: TypeORM would turn a second,
 * concurrent transaction into a savepoint of the first, so transactions are queued here.
 */
@Injectable()
export class TransactionRunner {
  private readonly als = new AsyncLocalStorage<EntityManager>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.als.getStore() ?? this.dataSource.manager;
  }

  get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.als.getStore()) return work();
    const execute = () => this.dataSource.transaction((em) => this.als.run(em, work));
    if (this.isMysql) return execute();
    const result = this.queue.then(execute, execute);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
