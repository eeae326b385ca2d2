import { LRUCache } from 'lru-cache';

/** The claims the per-request check reads from a verified access token. */
export interface VerifiedClaims {
  sub: unknown;
  sid: unknown;
  exp: unknown;
}

/**
 * Access tokens whose signature, algorithm, issuer and audience passport-jwt has already
 * verified, with their claims. For one key that outcome depends on the token alone (`exp` is
 * checked on every request, in JwtStrategy.validate; an `nbf` once passed stays passed), so a
 * token seen again needs no second HMAC and JSON decode — the largest piece of a request once
 * the session's answer is cached (`npm run bench`). Only tokens that passed are kept, so only
 * holders of valid tokens add entries; each is dropped at its `exp`, and the least recently
 * used go first beyond `capacity`.
 */
export class VerifiedTokens {
  private readonly tokens: LRUCache<string, VerifiedClaims>;

  constructor(capacity: number, now: () => number) {
    // ttlResolution 0: each lookup reads the clock (lru-cache would otherwise reuse a reading for 1 ms, with a timer per lookup).
    this.tokens = new LRUCache({ max: capacity, perf: { now }, ttlResolution: 0 });
  }

  get(token: string): VerifiedClaims | undefined {
    return this.tokens.get(token);
  }

  /** Remembers a verified token until its `exp` (seconds); one without a usable `exp` is not kept. */
  add(token: string, claims: VerifiedClaims, now: number): void {
    const ttl = typeof claims.exp === 'number' ? claims.exp * 1000 - now : 0;
    if (ttl > 0) this.tokens.set(token, { sub: claims.sub, sid: claims.sid, exp: claims.exp }, { ttl });
  }
}
