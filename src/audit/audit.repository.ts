import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { LoginAuditEntity } from './login-audit.entity.js';

@Injectable()
export class AuditRepository {
  constructor(private readonly tx: TransactionRunner) {}

  private get repo() {
    return this.tx.manager.getRepository(LoginAuditEntity);
  }

  async insert(entry: LoginAuditEntity, em: EntityManager = this.tx.manager): Promise<void> {
    await em.getRepository(LoginAuditEntity).insert(entry);
  }

  /** Deletes the rows of an account: those naming the user, and those of its email before it was one. */
  async deleteFor(userId: string, emailHash: string, em: EntityManager): Promise<void> {
    await em
      .getRepository(LoginAuditEntity)
      .createQueryBuilder()
      .delete()
      .where('user_id = :userId OR email_hash = :emailHash', { userId, emailHash })
      .execute();
  }

  /** Oldest first, at most `limit` rows, so a large backlog is purged in short statements. */
  async purgeBefore(cutoff: number, limit: number): Promise<number> {
    const ids = await this.repo
      .createQueryBuilder('a')
      .select('a.id', 'id')
      .where('a.created_at < :cutoff', { cutoff })
      .orderBy('a.created_at')
      .limit(limit)
      .getRawMany<{ id: string }>();
    if (ids.length === 0) return 0;
    await this.repo.delete(ids.map((r) => r.id));
    return ids.length;
  }
}
