import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { encryptPrivateKey, generateKey, type AsymmetricAlgorithm } from './key-crypto.js';
import { KeyNews } from './key-news.js';
import { lastGeneration, pendingKey, signingKey, verifies } from './key-policy.js';
import type { SigningKeyEntity } from './signing-key.entity.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

/** What `npm run keys -- list` shows of a key. */
export type KeyState = 'signing' | 'published' | 'retired' | 'expired' | 'revoked' | 'other algorithm';

export class UnknownKeyError extends Error {}

/**
 * Every change to the key set: the first key, a rotation, a revocation, and a key made at once
 * when none can sign. Used by the service (first start, the scheduled rotation) and by
 * `npm run keys`. Concurrent writers are safe: each new key takes the next generation, which is
 * unique, so of two that saw the same key set one inserts and the other re-reads.
 */
@Injectable()
export class KeyRotation {
  private readonly logger = new Logger('SigningKeys');
  private readonly alg: AsymmetricAlgorithm;
  private readonly prepublishMs: number;
  private readonly encryptionKey: Buffer;

  constructor(
    private readonly repo: SigningKeysRepository,
    private readonly news: KeyNews,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const keys = config.get('keys', { infer: true });
    this.alg = keys.algorithm === 'EdDSA' ? 'EdDSA' : 'ES256';
    this.prepublishMs = keys.prepublish * 1000;
    this.encryptionKey = keys.encryptionKey;
  }

  /** A key that signs now, made at once if there is none (first start, a new JWT_ALGORITHM). */
  async ensureSigningKey(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = await this.repo.all();
      const now = this.clock.now();
      if (signingKey(keys, this.alg, now)) return;
      if (await this.add(keys, now, now)) return;
    }
    throw new Error('could not make a signing key: other writers kept changing the key set');
  }

  /**
   * Replaces a signing key whose private half this instance cannot decrypt (JWT_SECRET is not the
   * one it was made under): a new key signs at once, the old one still verifies its tokens.
   */
  async replaceUnreadable(kid: string): Promise<void> {
    const keys = await this.repo.all();
    const now = this.clock.now();
    if (signingKey(keys, this.alg, now)?.kid === kid) await this.add(keys, now, now);
  }

  /**
   * Starts a rotation: a new key, published now, signs `JWT_KEY_PREPUBLISH` from now. A rotation
   * already under way is left as it is (its key is returned).
   */
  async rotate(): Promise<{ kid: string; activatesAt: number; started: boolean }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = await this.repo.all();
      const now = this.clock.now();
      const pending = pendingKey(keys, this.alg, now);
      if (pending) return { kid: pending.kid, activatesAt: pending.activatesAt, started: false };
      const made = await this.add(keys, now, now + this.prepublishMs);
      if (made) return { kid: made.kid, activatesAt: made.activatesAt, started: true };
    }
    throw new Error('could not rotate: other writers kept changing the key set');
  }

  /**
   * Revokes a key (compromise): it verifies nothing from now on, on every instance within the
   * poll interval. If it was signing, a new key signs at once; if it was about to, its
   * predecessor keeps signing.
   */
  async revoke(kid: string): Promise<{ revoked: boolean; replacedBy?: string }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keys = await this.repo.all();
      const key = keys.find((k) => k.kid === kid);
      if (!key) throw new UnknownKeyError(`no signing key ${kid}`);
      if (key.revokedAt !== null) return { revoked: false };
      const now = this.clock.now();
      let replacedBy: string | undefined;
      if (signingKey(keys, this.alg, now)?.kid === kid) {
        const made = await this.add(keys, now, now, kid);
        if (!made) continue;
        replacedBy = made.kid;
      } else {
        if (!(await this.repo.revoke(kid, now))) continue;
        if (pendingKey(keys, this.alg, now)?.kid === kid) {
          const predecessor = keys.find((k) => k.kid !== kid && k.retiresAt === key.activatesAt);
          if (predecessor) await this.repo.unretire(predecessor.kid, key.activatesAt);
        }
      }
      this.logger.warn(`signing key ${kid} revoked${replacedBy ? `; ${replacedBy} signs from now` : ''}`);
      await this.news.publish();
      return { revoked: true, replacedBy };
    }
    throw new Error('could not revoke: other writers kept changing the key set');
  }

  /** Every key with its state at `now`, oldest first. */
  async list(accessTtlMs: number): Promise<{ key: SigningKeyEntity; state: KeyState }[]> {
    const keys = await this.repo.all();
    const now = this.clock.now();
    const current = signingKey(keys, this.alg, now)?.kid;
    return keys.map((key) => ({ key, state: stateOf(key, this.alg, current, now, accessTtlMs) }));
  }

  /**
   * A new key of the configured algorithm, signing from `activatesAt`; the key signing now
   * retires then. Null when another writer changed the key set first.
   */
  private async add(
    keys: SigningKeyEntity[],
    now: number,
    activatesAt: number,
    revoking?: string,
  ): Promise<SigningKeyEntity | null> {
    const generated = generateKey(this.alg);
    const signing = signingKey(keys, this.alg, now);
    const predecessor = signing?.kid === revoking ? undefined : signing;
    // Made to sign at once while a rotation is under way: the published key still takes over on time.
    const pending = activatesAt === now ? pendingKey(keys, this.alg, now) : undefined;
    const revoke = revoking === undefined ? undefined : { kid: revoking, at: now };
    const row: SigningKeyEntity = {
      kid: generated.kid,
      generation: lastGeneration(keys) + 1,
      alg: this.alg,
      publicJwk: JSON.stringify(generated.publicJwk),
      privateKey: encryptPrivateKey(generated.privateKey, generated.kid, this.encryptionKey),
      createdAt: now,
      activatesAt,
      retiresAt: pending ? pending.activatesAt : null,
      revokedAt: null,
    };
    const retire = predecessor && { kid: predecessor.kid, at: activatesAt };
    if (!(await this.repo.insert(row, retire, revoke))) return null;
    this.logger.log(
      activatesAt === now
        ? `signing key ${row.kid} signs from now`
        : `signing key ${row.kid} published; signs from ${new Date(activatesAt).toISOString()}`,
    );
    await this.news.publish();
    return row;
  }
}

function stateOf(
  key: SigningKeyEntity,
  alg: string,
  current: string | undefined,
  now: number,
  ttlMs: number,
): KeyState {
  if (key.revokedAt !== null) return 'revoked';
  if (key.alg !== alg) return 'other algorithm';
  if (key.kid === current) return 'signing';
  if (key.activatesAt > now) return 'published';
  return verifies(key, alg, now, ttlMs) ? 'retired' : 'expired';
}
