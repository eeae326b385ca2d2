import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import type { IssuedSession } from '../sessions/sessions.service.js';
import type { TokenPairResponse } from './dto/token-pair.response.js';

@Injectable()
export class TokenService {
  private readonly ttl: number;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    [this.ttl, this.issuer, this.audience] = [auth.accessTokenTtl, auth.issuer, auth.audience];
  }

  /**
   * Signs the pair of one session generation. Every claim derives from the generation,
   * so signing it twice gives the same token: concurrent refreshes all get one pair.
   */
  pair(s: IssuedSession): TokenPairResponse {
    const iat = Math.floor(s.issuedAt / 1000);
    const exp = Math.min(iat + this.ttl, Math.floor(s.expiresAt / 1000));
    const accessToken = this.jwt.sign(
      {
        sub: s.userId,
        sid: s.sessionId,
        jti: `${s.sessionId}.${s.generation}`,
        iat,
        exp,
        iss: this.issuer,
        aud: this.audience,
      },
      { algorithm: 'HS256' },
    );
    const expiresIn = Math.max(0, exp - Math.floor(this.clock.now() / 1000));
    return { accessToken, refreshToken: s.refreshToken, tokenType: 'Bearer', expiresIn, sessionId: s.sessionId };
  }
}
