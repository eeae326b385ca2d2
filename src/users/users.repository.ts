import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { SqlDriver } from '../database/sql-driver.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UserRoleEntity } from './user-role.entity.js';
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

  async update(id: string, patch: Partial<Pick<UserEntity, 'name' | 'updatedAt'>>, em?: EntityManager): Promise<void> {
    await this.repo(em).update({ id }, patch);
  }

  /** The new hash, and the next credential version (SessionsRepository.insert stores sessions of the current one only). */
  async setPassword(id: string, passwordHash: string, updatedAt: number, em?: EntityManager): Promise<void> {
    await this.repo(em)
      .createQueryBuilder()
      .update()
      .set({ passwordHash, updatedAt, credentialVersion: () => 'credential_version + 1' })
      .where('id = :id', { id })
      .execute();
  }

  /**
   * Sets `disabled_at` (kept when already set) and moves the credential version on, so a login
   * that checked the password before this commits stores no session (SessionsRepository.insert);
   * or clears it. Whether the user exists.
   */
  async setDisabled(id: string, at: number | null, em?: EntityManager): Promise<boolean> {
    const repo = this.repo(em);
    if (!(await repo.existsBy({ id }))) return false;
    await repo
      .createQueryBuilder()
      .update()
      .set(
        at === null
          ? { disabledAt: null }
          : { disabledAt: () => 'COALESCE(disabled_at, :at)', credentialVersion: () => 'credential_version + 1' },
      )
      .where('id = :id', { id, at })
      .execute();
    return true;
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

  async rolesOf(userId: string): Promise<string[]> {
    const rows = await this.tx.manager
      .getRepository(UserRoleEntity)
      .find({ where: { userId }, select: { role: true } });
    return rows.map((r) => r.role);
  }

  /** Whether the role was new to the user (granting it twice changes nothing). */
  async grantRole(userId: string, role: string, now: number): Promise<boolean> {
    const roles = this.tx.manager.getRepository(UserRoleEntity);
    if (await roles.existsBy({ userId, role })) return false;
    await roles.createQueryBuilder().insert().values({ userId, role, grantedAt: now }).orIgnore().execute();
    return true;
  }

  /** Whether the user held the role. */
  async revokeRole(userId: string, role: string): Promise<boolean> {
    const result = await this.tx.manager.getRepository(UserRoleEntity).delete({ userId, role });
    return (result.affected ?? 0) > 0;
  }

  /** The users granted `role`, with when, oldest grant first. */
  async withRole(role: string): Promise<{ user: UserEntity; grantedAt: number }[]> {
    const grants = await this.tx.manager
      .getRepository(UserRoleEntity)
      .find({ where: { role }, order: { grantedAt: 'ASC', userId: 'ASC' } });
    if (grants.length === 0) return [];
    const users = new Map((await this.repo().findBy({ id: In(grants.map((g) => g.userId)) })).map((u) => [u.id, u]));
    return grants.flatMap((g) => {
      const user = users.get(g.userId);
      return user ? [{ user, grantedAt: g.grantedAt }] : [];
    });
  }

  /** Deletes the user and their role grants. */
  async delete(id: string, em: EntityManager): Promise<void> {
    await em.getRepository(UserRoleEntity).delete({ userId: id });
    await this.repo(em).delete({ id });
  }

  findByEmails(emails: string[]): Promise<UserEntity[]> {
    return emails.length === 0 ? Promise.resolve([]) : this.repo().findBy({ email: In(emails) });
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
