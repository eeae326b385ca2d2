import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { isLockConflict } from '../common/filters/unavailable.js';
import { isUniqueViolation } from '../database/unique-violation.js';
import { SigningKeyEntity } from './signing-key.entity.js';

/** The signing_keys table; the rules are key-policy.ts's and KeyRotation's. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly tx: TransactionRunner) {}

  all(): Promise<SigningKeyEntity[]> {
    return this.tx.manager.getRepository(SigningKeyEntity).find({ order: { generation: 'ASC' } });
  }

  /**
   * Inserts `key` (its generation one above the highest its caller saw) and, in the same
   * transaction, sets the retirement of the key it replaces (or revokes it). False when another writer took that
   * generation first: the caller re-reads rather than making a second key.
   */
  async insert(
    key: SigningKeyEntity,
    retire?: { kid: string; at: number },
    revoke?: { kid: string; at: number },
  ): Promise<boolean> {
    try {
      await this.tx.run(async (em) => {
        const repo = em.getRepository(SigningKeyEntity);
        // A revoked signing key and its replacement in one commit: no reader sees a set without a signing key.
        if (revoke) await repo.update({ kid: revoke.kid }, { revokedAt: revoke.at });
        await repo.insert(key);
        if (retire) await repo.update({ kid: retire.kid }, { retiresAt: retire.at });
      });
      return true;
    } catch (e) {
      // Another writer took the generation (on InnoDB concurrent inserts of it may deadlock instead,
      // past TransactionRunner's retries).
      if (isUniqueViolation(e) || isLockConflict(e)) return false;
      throw e;
    }
  }

  /** Marks the key revoked at `now`; false when it is unknown or already revoked. */
  async revoke(kid: string, now: number): Promise<boolean> {
    const result = await this.tx.manager
      .getRepository(SigningKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: now })
      .where('kid = :kid AND revoked_at IS NULL', { kid })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Undoes a retirement that a revoked successor would have caused. */
  async unretire(kid: string, at: number): Promise<void> {
    await this.tx.manager
      .getRepository(SigningKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ retiresAt: null })
      .where('kid = :kid AND retires_at = :at', { kid, at })
      .execute();
  }
}
