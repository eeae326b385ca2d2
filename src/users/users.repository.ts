import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UserEntity } from './user.entity.js';

@Injectable()
export class UsersRepository {
  constructor(private readonly tx: TransactionRunner) {}

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

  /** Serialises concurrent logins of one user inside a transaction (MySQL row lock; SQLite transactions are already serial). */
  async lockForUpdate(id: string, em: EntityManager): Promise<void> {
    if (!this.tx.isMysql) return;
    await this.repo(em)
      .createQueryBuilder('u')
      .select('u.id')
      .where('u.id = :id', { id })
      .setLock('pessimistic_write')
      .getRawOne();
  }
}
