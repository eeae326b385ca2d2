import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isLockConflict } from '../common/filters/unavailable.js';
import { SqlDriver } from './sql-driver.js';

/** How often a unit of work runs when it keeps losing lock conflicts (see retryLockConflicts). */
export const TX_ATTEMPTS = 3;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` again, up to `attempts` times in all, while it fails with a lock conflict
 * (isLockConflict: MySQL/MariaDB's deadlock victim or lock wait timeout), after a short pause
 * with jitter so two conflicting transactions do not meet again at once. Only for whole
 * transactions: InnoDB rolls a deadlock victim back entirely, and TypeORM rolls back on any error,
 * so each attempt starts clean. The last conflict is thrown as it is; the exception filter makes
 * it a 503 with Retry-After, never a 500. Any other error is thrown at once.
 */
export async function retryLockConflicts<T>(
  attempt: () => Promise<T>,
  attempts = TX_ATTEMPTS,
  wait: (ms: number) => Promise<void> = pause,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (n >= attempts || !isLockConflict(e)) throw e;
      await wait(5 * 2 ** n + Math.random() * 20);
    }
  }
}

/**
 * Runs a unit of work in one transaction, handing it the transaction's manager; repository
 * methods that may run inside one take it as their last argument. Passed by hand, not through
 * AsyncLocalStorage: on Node 20 one AsyncLocalStorage.run() turns on promise hooks for the
 * rest of the process, which cost ~10 % of the request throughput in `npm run bench`.
 *
 * SQLite (better-sqlite3) has one connection per process: TypeORM would turn a second,
 * concurrent transaction into a savepoint of the first, so transactions are queued here.
 *
 * A transaction that loses a deadlock (or a lock wait) runs again (retryLockConflicts), so
 * `work` may run more than once: what it does outside the transaction must bear that (cache
 * evictions and mail go through AfterCommit, which drops a rolled-back attempt's mail).
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
    const execute = () => retryLockConflicts(() => this.dataSource.transaction(work));
    if (!this.db.embedded) return execute();
    const result = this.queue.then(execute, execute);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
