import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { apiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { SigningKeys } from '../keys/signing-keys.js';

/** The claims of an access token; every one derives from a session generation (RefreshRotation.pair). */
export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** RFC 9068: the `typ` of a JWT access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Signs access tokens: the key and the algorithm, nothing else. The same claims must give the
 * same token, since a re-issued pair (the reuse grace, concurrent refreshes) is byte for byte the
 * first: HMAC and Ed25519 signatures are deterministic, ECDSA as Node computes it is not (its
 * nonce is random), so the ES256 signer remembers what it signed.
 */
export abstract class AccessTokenSigner {
  abstract sign(claims: AccessClaims): string;
}

/** HS256 with JWT_SECRET (JwtModule in SessionsModule); JwtStrategy verifies with the same key. */
@Injectable()
export class HmacAccessTokenSigner extends AccessTokenSigner {
  constructor(private readonly jwt: JwtService) {
    super();
  }

  sign(claims: AccessClaims): string {
    return this.jwt.sign(claims, { algorithm: 'HS256' });
  }
}

/** ES256 or EdDSA under the current key of the key set (`kid`, `typ: at+jwt` in the header). */
@Injectable()
export class KeyedAccessTokenSigner extends AccessTokenSigner {
  /** Tokens signed, by key and claims, until their `exp`: a re-issued pair gets the same bytes. */
  private readonly signed: LRUCache<string, string>;

  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {
    super();
    this.signed = new LRUCache({ max: 10_000, ttlAutopurge: false, perf: { now: () => clock.now() } });
  }

  sign(claims: AccessClaims): string {
    const { kid } = this.keys.currentKey();
    const memo = `${kid} ${claims.jti} ${claims.iat} ${claims.exp}`;
    const known = this.signed.get(memo);
    if (known) return known;
    const token = this.keys.sign(claims, { typ: ACCESS_TOKEN_TYP });
    const ttl = claims.exp * 1000 - this.clock.now();
    if (ttl > 0) this.signed.set(memo, token, { ttl });
    return token;
  }
}

/** The claims the per-request check reads from a verified access token, and the key that signed it. */
export interface VerifiedAccessClaims {
  sub: unknown;
  sid: unknown;
  exp: unknown;
  kid?: unknown;
}

/** Headers that would let a token name its own key, or a key elsewhere: never followed, always refused. */
const FOREIGN_KEY_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/**
 * Verifies ES256/EdDSA access tokens for JwtStrategy (which keeps passport-jwt for HS256): the
 * configured algorithm only, a `kid` of our own key set that may still verify, `typ: at+jwt`,
 * `iss` and `aud`. Anything else is 401 `token_invalid` (an expired one `token_expired`).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    [this.issuer, this.audience] = [auth.issuer, auth.audience];
  }

  /** Whether tokens are verified here (ES256, EdDSA) rather than by passport-jwt (HS256). */
  get keyed(): boolean {
    return this.keys.asymmetric;
  }

  /** Whether a token verified earlier still is: its key is neither revoked nor gone. */
  trusts(kid: unknown): boolean {
    return this.keys.trusts(kid);
  }

  async verify(token: string): Promise<VerifiedAccessClaims> {
    try {
      const { payload, protectedHeader } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => this.keyFor(header),
        {
          algorithms: [this.keys.algorithm],
          issuer: this.issuer,
          audience: this.audience,
          typ: ACCESS_TOKEN_TYP,
          currentDate: new Date(this.clock.now()),
          requiredClaims: ['exp', 'sub', 'sid'],
        },
      );
      return { sub: payload.sub, sid: payload.sid, exp: payload.exp, kid: protectedHeader.kid };
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw apiError(401, 'token_expired', 'Token expired');
      throw apiError(401, 'token_invalid', 'Invalid token');
    }
  }

  private keyFor(header: JWTHeaderParameters) {
    if (FOREIGN_KEY_HEADERS.some((h) => h in header)) throw new Error('foreign key header');
    const key = this.keys.verificationKey(header.kid);
    if (!key) throw new Error('unknown kid');
    return key;
  }
}
