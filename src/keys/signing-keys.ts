import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { KeyObject } from 'node:crypto';
import { apiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { ExclusiveJob } from '../common/exclusive-job.js';
import { safeErrorMessage } from '../common/logging.js';
import type { AppConfig } from '../config/configuration.js';
import { type AsymmetricAlgorithm, decryptPrivateKey, type PublicJwk, publicKeyOf, signCompact } from './key-crypto.js';
import { KeyNews } from './key-news.js';
import { type KeyTimes, rotationDue, signingKey, verifies } from './key-policy.js';
import { KeyRotation } from './key-rotation.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

/** A JWKS entry (RFC 7517): the public part only. */
export interface Jwk extends PublicJwk {
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
}

interface LoadedKey extends KeyTimes {
  jwk: Jwk;
  publicKey: KeyObject;
  encryptedPrivateKey: string;
}

/** A key another module signs with: see `SigningKeys.sign`. */
export interface CurrentKey {
  kid: string;
  alg: AsymmetricAlgorithm;
}

/**
 * This instance's view of the signing keys (JWT_ALGORITHM ES256 or EdDSA): which key signs now,
 * which verify, what the JWKS publishes. Read from the database at start (making the first key
 * if there is none), again every JWT_KEY_POLL_MS and at once on Redis news. Every instance
 * signs with the same key because they read the same rows and apply the same times
 * (key-policy.ts); the scheduled rotation runs in the same tick.
 *
 * For other modules (security event tokens, …): `sign(payload, {typ})` gives a compact JWS
 * under the current key (header `alg`, `kid`, `typ`), verifiable from the JWKS; `currentKey()`
 * names that key.
 */
@Injectable()
export class SigningKeys implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SigningKeys');
  private readonly job = new ExclusiveJob(this.logger, 'signing keys');
  readonly algorithm: AsymmetricAlgorithm | 'HS256';
  private readonly cfg: AppConfig['keys'];
  private readonly accessTtlMs: number;
  private keys: LoadedKey[] = [];
  private byKid = new Map<string, LoadedKey>();
  private readonly privateKeys = new Map<string, KeyObject>();
  private timer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private prepared = false;

  constructor(
    private readonly repo: SigningKeysRepository,
    private readonly rotation: KeyRotation,
    private readonly news: KeyNews,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    this.cfg = config.get('keys', { infer: true });
    this.algorithm = this.cfg.algorithm;
    this.accessTtlMs = config.get('auth', { infer: true }).accessTokenTtl * 1000;
  }

  /** ES256 or EdDSA: tokens other services can verify from the JWKS. */
  get asymmetric(): boolean {
    return this.algorithm !== 'HS256';
  }

  async onModuleInit(): Promise<void> {
    if (!this.asymmetric) return;
    // The schema may not be there yet (MIGRATIONS_RUN=false before `npm run migration:run`), or the
    // database may be down: the service still starts, readiness says why it is not ready, signing
    // answers 503, and the poll tries again until the key set is read.
    await this.prepare().catch((e: unknown) =>
      this.logger.warn(`signing keys not read yet, retrying every poll: ${safeErrorMessage(e)}`),
    );
    this.timer = setInterval(() => void this.tick(), this.cfg.pollMs);
    this.timer.unref();
    await this.news.listen(() => void this.reload().catch(() => undefined));
  }

  /** Makes the first key if there is none, reads the set, replaces a key that does not decrypt here. */
  private async prepare(): Promise<void> {
    await this.rotation.ensureSigningKey();
    await this.reload();
    // A key made under another JWT_SECRET (it was changed, or is random per boot) is replaced before the first login.
    const { kid } = this.currentKey();
    if (!this.decrypt(kid)) {
      this.logger.warn(
        `signing key ${kid} does not decrypt under JWT_SECRET (was it changed?): a new key signs from now`,
      );
      await this.rotation.replaceUnreadable(kid);
      await this.reload();
    }
    this.prepared = true;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
  }

  /** The poll: re-read the key set, start a rotation when one is due. */
  private tick(): Promise<void> {
    return this.job.run(async () => {
      if (!this.prepared) return void (await this.prepare());
      await this.reload();
      const now = this.clock.now();
      if (!rotationDue(this.keys, this.algorithm, now, this.cfg.rotationDays, this.cfg.prepublish * 1000)) return;
      const { kid, started } = await this.rotation.rotate();
      await this.reload();
      return started ? `rotation started: ${kid}` : undefined;
    });
  }

  /** Re-reads the key set; concurrent calls share one read. */
  reload(): Promise<void> {
    this.reloading ??= this.read().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async read(): Promise<void> {
    const rows = await this.repo.all();
    const keys = rows.map((r): LoadedKey => {
      const known = this.byKid.get(r.kid);
      const jwk = known?.jwk ?? {
        ...(JSON.parse(r.publicJwk) as PublicJwk),
        kid: r.kid,
        alg: r.alg as AsymmetricAlgorithm,
        use: 'sig',
      };
      return {
        kid: r.kid,
        generation: r.generation,
        alg: r.alg,
        activatesAt: r.activatesAt,
        retiresAt: r.retiresAt,
        revokedAt: r.revokedAt,
        jwk,
        publicKey: known?.publicKey ?? publicKeyOf(jwk),
        encryptedPrivateKey: r.privateKey,
      };
    });
    this.keys = keys;
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  /** The key that signs now. */
  currentKey(): CurrentKey {
    const key = signingKey(this.keys, this.algorithm, this.clock.now());
    if (!key) {
      if (!this.asymmetric) throw new Error('JWT_ALGORITHM=HS256: no signing key that others can verify');
      // Its replacement is being read (a key that does not decrypt here, a revocation by a writer whose clock is behind).
      throw apiError(503, 'service_unavailable', 'No signing key yet; retry the request', 1);
    }
    return { kid: key.kid, alg: key.alg as AsymmetricAlgorithm };
  }

  /**
   * A compact JWS of `payload` under the current key, header `{alg, kid, typ}`. Synchronous
   * (node:crypto). Throws under HS256: nothing else could verify it.
   */
  sign(payload: object, options: { typ: string }): string {
    const { kid, alg } = this.currentKey();
    return signCompact({ alg, kid, typ: options.typ }, payload, this.privateKey(kid));
  }

  private decrypt(kid: string): KeyObject | undefined {
    let key = this.privateKeys.get(kid);
    if (key) return key;
    try {
      key = decryptPrivateKey(this.byKid.get(kid)!.encryptedPrivateKey, kid, this.cfg.encryptionKey);
    } catch {
      return undefined;
    }
    this.privateKeys.set(kid, key);
    return key;
  }

  private privateKey(kid: string): KeyObject {
    const key = this.decrypt(kid);
    if (!key) {
      this.logger.error(`signing key ${kid} does not decrypt under JWT_SECRET (was it changed?): making a new key`);
      void this.rotation
        .replaceUnreadable(kid)
        .then(() => this.reload())
        .catch((e: unknown) => this.logger.error(`replacing key ${kid} failed: ${safeErrorMessage(e)}`));
      throw apiError(503, 'service_unavailable', 'The signing key is being replaced; retry the request', 1);
    }
    return key;
  }

  /** The public key for a token's `kid`, if that key may still verify a live token. */
  verificationKey(kid: unknown): KeyObject | undefined {
    const key = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    return key && verifies(key, this.algorithm, this.clock.now(), this.accessTtlMs) ? key.publicKey : undefined;
  }

  /** Whether a token of `kid` that verified once may still be trusted (its key not revoked nor gone). */
  trusts(kid: unknown): boolean {
    return this.verificationKey(kid) !== undefined;
  }

  /** GET /.well-known/jwks.json: every key that may verify a live token (HS256: none). */
  jwks(): { keys: Jwk[] } {
    if (!this.asymmetric) return { keys: [] };
    const now = this.clock.now();
    return { keys: this.keys.filter((k) => verifies(k, this.algorithm, now, this.accessTtlMs)).map((k) => k.jwk) };
  }

  /** Seconds a JWKS may be cached: half the prepublish time (a new key is seen before it signs), at most 5 min. */
  get jwksMaxAge(): number {
    return Math.min(300, Math.floor(this.cfg.prepublish / 2));
  }
}
