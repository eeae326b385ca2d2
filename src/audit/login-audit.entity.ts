import { Column, Entity, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

export type LoginOutcome = 'success' | 'invalid_credentials' | 'locked' | 'disabled';

/** One login attempt. Never a password or a token; the typed email only as a keyed hash. */
@Entity('login_audit')
export class LoginAuditEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Set when the email belongs to an account. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  /** HMAC-SHA256 of the normalised email: groups attempts on one account without storing what was typed. */
  @Column({ name: 'email_hash', type: 'varchar', length: 64 })
  emailHash: string;

  @Column({ type: 'varchar', length: 20 })
  outcome: LoginOutcome;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;
}
