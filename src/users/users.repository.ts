import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SqlDriver } from '../database/sql-driver.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UserEntity } from './user.entity.js';

@Injectable()
export class UsersRepository {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly db: SqlDriver,
  ) {}

  private repo(em = this.tx.manager) {
    return em.getRepository(UserEntity);
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.repo().findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo().findOneBy({ email });
  }

  async insert(user: UserEntity): Promise<void> {
    await this.repo().insert(user);
  }

  async update(
    id: string,
    patch: Partial<Pick<UserEntity, 'name' | 'passwordHash' | 'updatedAt'>>,
    em?: EntityManager,
  ): Promise<void> {
    await this.repo(em).update({ id }, patch);
  }

  /** Sets `email_verified_at` unless it is set already; whether this call set it. */
  async markEmailVerified(id: string, at: number): Promise<boolean> {
    const result = await this.repo()
      .createQueryBuilder()
      .update()
      .set({ emailVerifiedAt: at })
      .where('id = :id AND email_verified_at IS NULL', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Serialises concurrent logins of one user inside a transaction (a row lock; embedded SQLite's are serial already).
   */
  async lockForUpdate(id: string, em: EntityManager): Promise<void> {
    if (this.db.embedded) return;
    await this.repo(em)
      .createQueryBuilder('u')
      .select('u.id')
      .where('u.id = :id', { id })
      .setLock('pessimistic_write')
      .getRawOne();
  }
}
