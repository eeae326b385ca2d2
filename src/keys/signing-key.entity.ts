import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';

/**
 * One signing key. `generation` is unique and each new key takes the next one, so two
 * instances (or the CLI) making a key at once insert one row and the other's insert fails:
 * there is never a second current key. `privateKey` is AES-256-GCM ciphertext (key-crypto.ts).
 */
@Entity('signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Index('uq_signing_keys_generation', { unique: true })
  @Column({ type: 'int' })
  generation: number;

  @Column({ type: 'varchar', length: 16 })
  alg: string;

  /** The public JWK as JSON (kty, crv, x, y where the curve has it). */
  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk: string;

  @Column({ name: 'private_key', type: 'text' })
  privateKey: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;

  /** When it starts signing (until then it is only published). */
  @Column({ name: 'activates_at', type: 'bigint', transformer: millis })
  activatesAt: number;

  /** When its successor starts signing; it verifies until then plus the access-token lifetime. */
  @Column({ name: 'retires_at', type: 'bigint', nullable: true, transformer: millis })
  retiresAt: number | null;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: millis })
  revokedAt: number | null;
}
