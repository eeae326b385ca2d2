import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

type Work = () => Promise<void>;
/** `always`: after a rollback too (evictions); else only after a commit (mail: nothing happened to tell of). */
type Entry = { work: Work; always: boolean };

/**
 * Runs work once the current transaction has committed, or at once outside one. The sessions'
 * cache evictions go through here (SessionStore): evicting before the commit would let a lookup
 * read the still-live row and re-fill the cache. TypeORM awaits these hooks inside the commit, so the
 * transaction (and the request that runs it) ends only after the eviction is confirmed.
 */
@Injectable()
export class AfterCommit implements OnModuleInit, EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Entry[]>();

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  /** After the commit, or the rollback: evicting after a rollback is harmless. */
  run(manager: EntityManager, work: Work): Promise<void> {
    return this.queue(manager, { work, always: true });
  }

  /** After the commit only: dropped when the transaction rolls back. */
  onCommit(manager: EntityManager, work: Work): Promise<void> {
    return this.queue(manager, { work, always: false });
  }

  private queue(manager: EntityManager, entry: Entry): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) return entry.work();
    const queue = this.pending.get(runner) ?? [];
    queue.push(entry);
    this.pending.set(runner, queue);
    return Promise.resolve();
  }

  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    await this.flush(event.queryRunner, true);
  }

  /** Also keeps the queue from leaking into the next transaction. */
  async afterTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    await this.flush(event.queryRunner, false);
  }

  private async flush(runner: QueryRunner, committed: boolean): Promise<void> {
    // A released savepoint is not the commit.
    if (runner.isTransactionActive) return;
    const queue = this.pending.get(runner);
    if (!queue) return;
    this.pending.delete(runner);
    for (const { work, always } of queue) if (committed || always) await work();
  }
}
