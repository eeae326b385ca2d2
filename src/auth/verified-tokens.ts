import { LRUCache } from 'lru-cache';

/** The claims the per-request check reads from a verified access token. */
export interface VerifiedClaims {
  sub: unknown;
  sid: unknown;
  exp: unknown;
  /** The signing key's id (ES256/EdDSA): a revoked key's tokens are refused though verified before. */
  kid?: unknown;
}

/**
 * Access tokens whose signature, algorithm, issuer and audience were already verified
 * (passport-jwt for HS256, AccessTokenVerifier for ES256/EdDSA), with their claims. For one key
 * that outcome depends on the token alone, but for its key's revocation, which the strategy
 * checks on every hit (`exp` is
 * checked on every request, in JwtStrategy's check; an `nbf` once passed stays passed), so a
 * token seen again needs no second HMAC and JSON decode — the largest piece of a request once
 * the session's answer is cached (`npm run bench`). Only tokens that passed are kept, so only
 * tokens this service signed, before their `exp`, add entries; each is dropped at its `exp`,
 * and the least recently used go first beyond `capacity`.
 */
export class VerifiedTokens {
  private readonly tokens: LRUCache<string, VerifiedClaims>;

  constructor(capacity: number, now: () => number) {
    // Bounded by maxSize rather than max: with max, lru-cache allocates its index arrays for
    // `capacity` entries up front (~44 bytes each, 420 MiB at SESSION_CACHE_SIZE's upper limit);
    // this way they grow with use. ttlResolution 0: each lookup reads the clock (rather than
    // reusing a reading for up to 1 ms, kept by a timer).
    this.tokens = new LRUCache({ maxSize: capacity, sizeCalculation: () => 1, perf: { now }, ttlResolution: 0 });
  }

  get(token: string): VerifiedClaims | undefined {
    return this.tokens.get(token);
  }

  /** Remembers a verified token until its `exp` (seconds); one without a usable `exp` is not kept. */
  add(token: string, claims: VerifiedClaims, now: number): void {
    const ttl = typeof claims.exp === 'number' ? claims.exp * 1000 - now : 0;
    if (ttl > 0)
      this.tokens.set(token, { sub: claims.sub, sid: claims.sid, exp: claims.exp, kid: claims.kid }, { ttl });
  }
}
