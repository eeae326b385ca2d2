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

/**
 * Runs work once the current transaction has committed, or at once outside one. The sessions'
 * cache evictions go through here (SessionStore): evicting before the commit would let a lookup
 * read the still-live row and re-fill the cache. TypeORM awaits these hooks inside the commit, so the
 * transaction (and the request that runs it) ends only after the eviction is confirmed.
 */
@Injectable()
export class AfterCommit implements OnModuleInit, EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Work[]>();

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  run(manager: EntityManager, work: Work): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) return work();
    const queue = this.pending.get(runner) ?? [];
    queue.push(work);
    this.pending.set(runner, queue);
    return Promise.resolve();
  }

  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    await this.flush(event.queryRunner);
  }

  /** Evicting after a rollback is harmless and keeps the queue from leaking into the next transaction. */
  async afterTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    await this.flush(event.queryRunner);
  }

  private async flush(runner: QueryRunner): Promise<void> {
    // A released savepoint is not the commit.
    if (runner.isTransactionActive) return;
    const queue = this.pending.get(runner);
    if (!queue) return;
    this.pending.delete(runner);
    for (const work of queue) await work();
  }
}
