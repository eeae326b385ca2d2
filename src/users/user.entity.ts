import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /**
   * Normalized (common/email.ts) before it is stored or looked up; compared byte-exact (MySQL:
   * utf8mb4_bin), so the unique index holds one row per address and the database never merges two.
   */
  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** When the owner proved the address (email verification); null until then. */
  @Column({ name: 'email_verified_at', type: 'bigint', nullable: true, transformer: millis })
  emailVerifiedAt: number | null;

  /**
   * Counts password changes and resets: a session is stored only under the version its login
   * checked the password under (SessionsRepository.insert), so none outlives the password it proved.
   */
  @Column({ name: 'credential_version', type: 'int', default: 0 })
  credentialVersion: number;
  /** Set while an admin has disabled the account: no login succeeds (403 `account_disabled`). */
  @Column({ name: 'disabled_at', type: 'bigint', nullable: true, transformer: millis })
  disabledAt: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: millis })
  updatedAt: number;
}
