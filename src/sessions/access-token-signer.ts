import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

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

/**
 * Signs access tokens: the key and the algorithm, nothing else. The same claims must give the
 * same token, since a re-issued pair (the reuse grace, concurrent refreshes) is byte for byte the
 * first: HMAC and Ed25519 signatures are deterministic, ECDSA as Node computes it is not (its
 * nonce is random).
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
