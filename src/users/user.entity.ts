import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Trimmed and lower-cased, so the unique index compares emails case-insensitively. */
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

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: millis })
  updatedAt: number;
}
