import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

/** What a mailed link is for: each purpose has its page and its lifetime (LinkTokens). */
export const LINK_PURPOSES = ['verify_email', 'reset_password', 'not_me'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** One mailed link's token: only its SHA-256 is stored; used once (`usedAt`), expires, dies with a password change. */
@Entity('link_tokens')
export class LinkTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: LinkPurpose;

  @Index('uq_link_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** The session a "this wasn't me" link reports. */
  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: millis })
  expiresAt: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: millis })
  usedAt: number | null;
}
