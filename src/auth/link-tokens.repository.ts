import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type LinkPurpose, LinkTokenEntity } from './link-token.entity.js';

/** The link_tokens table; the rules are LinkTokens'. Methods that may run in a transaction take its manager last. */
@Injectable()
export class LinkTokensRepository {
  constructor(private readonly tx: TransactionRunner) {}

  private repo(em = this.tx.manager) {
    return em.getRepository(LinkTokenEntity);
  }

  async insert(token: LinkTokenEntity, em?: EntityManager): Promise<void> {
    await this.repo(em).insert(token);
  }

  findByHash(purpose: LinkPurpose, tokenHash: string, em?: EntityManager): Promise<LinkTokenEntity | null> {
    return this.repo(em).findOneBy({ purpose, tokenHash });
  }

  /**
   * Marks the token used if it is unused and unexpired at `now`, in one conditional UPDATE: of
   * concurrent uses exactly one changes the row (on MySQL the others wait on its row lock).
   */
  async use(id: string, now: number, em?: EntityManager): Promise<boolean> {
    const result = await this.repo(em)
      .createQueryBuilder()
      .update()
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL AND expires_at > :now', { id, now })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Deletes the user's unused tokens (of one purpose, or all). */
  async deleteUnused(userId: string, purpose?: LinkPurpose, em?: EntityManager): Promise<void> {
    const qb = this.repo(em).createQueryBuilder().delete().where('user_id = :userId AND used_at IS NULL', { userId });
    if (purpose) qb.andWhere('purpose = :purpose', { purpose });
    await qb.execute();
  }

  /** Deletes every token of the user, used ones too. */
  async deleteAll(userId: string, em?: EntityManager): Promise<void> {
    await this.repo(em).delete({ userId });
  }

  /** Deletes up to `limit` tokens expired at `cutoff` (used or not); returns how many. */
  async purgeExpired(cutoff: number, limit: number): Promise<number> {
    const rows = await this.repo()
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .where('t.expires_at <= :cutoff', { cutoff })
      .limit(limit)
      .getRawMany<{ id: string }>();
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    const result = await this.repo().createQueryBuilder().delete().where('id IN (:...ids)', { ids }).execute();
    return result.affected ?? ids.length;
  }
}
