import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerStorage } from '@nestjs/throttler';
import { apiError } from '../../common/api-error.js';
import type { AuthContext } from '../../common/auth-context.js';
import type { AppConfig } from '../../config/configuration.js';
import { RefreshRotation } from '../../sessions/refresh-rotation.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { JwtStrategy } from '../jwt.strategy.js';
import { INACTIVE, type IntrospectionResponse } from './oauth.dto.js';

const MAX_TOKEN_LENGTH = 4096;
const MINUTE_MS = 60_000;

/** A token's live session, as introspection and revocation find it. */
type Found =
  | (AuthContext & { type: 'access_token'; token: string })
  | (AuthContext & { type: 'refresh_token'; expiresAt: number });

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) for confidential clients. Neither holds a
 * rule of its own: an access token is live exactly when the per-request check lets it through
 * (JwtStrategy.checkToken: the same verification, caches and session check), a refresh token
 * exactly when it is its live session's current one (RefreshRotation.current), and revocation
 * ends a session through SessionsService like every other ending.
 */
@Injectable()
export class OAuthService {
  private readonly rateLimit: number;

  constructor(
    private readonly strategy: JwtStrategy,
    private readonly rotation: RefreshRotation,
    private readonly sessions: SessionsService,
    @Inject(ThrottlerStorage) private readonly counters: ThrottlerStorage,
    config: ConfigService<AppConfig, true>,
  ) {
    this.rateLimit = config.get('oauth', { infer: true }).introspectionRateLimit;
  }

  async introspect(clientId: string, token: string): Promise<IntrospectionResponse> {
    await this.limit(clientId);
    const found = await this.find(token);
    if (!found) return INACTIVE;
    if (found.type === 'refresh_token')
      return {
        active: true,
        token_type: 'refresh_token',
        sub: found.userId,
        sid: found.sessionId,
        exp: Math.floor(found.expiresAt / 1000),
      };
    // Verified by the check above: its claims are ours.
    const c = JSON.parse(Buffer.from(found.token.split('.')[1], 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return {
      active: true,
      token_type: 'access_token',
      sub: found.userId,
      sid: found.sessionId,
      exp: c.exp as number,
      iat: c.iat as number,
      iss: c.iss as string,
      aud: c.aud as string,
      jti: c.jti as string,
    };
  }

  /** Ends the session of a live token; a token that is not live changes nothing (RFC 7009 §2.2: still 200). */
  async revoke(token: string): Promise<void> {
    const found = await this.find(token);
    if (found) await this.sessions.endByClient(found.userId, found.sessionId);
  }

  /** The token's live session: a refresh token is recognised by its form (no read otherwise), anything else is tried as an access token. */
  private async find(token: string): Promise<Found | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const session = await this.rotation.current(token);
    if (session)
      return { type: 'refresh_token', userId: session.userId, sessionId: session.id, expiresAt: session.expiresAt };
    const auth = await this.strategy.checkToken(token);
    return auth ? { type: 'access_token', userId: auth.userId, sessionId: auth.sessionId, token } : null;
  }

  /** INTROSPECTION_RATE_LIMIT: requests per client per minute, counted where the other rate limits are (Redis when set). */
  private async limit(clientId: string): Promise<void> {
    if (this.rateLimit === 0) return;
    const { isBlocked, timeToBlockExpire } = await this.counters.increment(
      `oauth-client:${clientId}`,
      MINUTE_MS,
      this.rateLimit,
      MINUTE_MS,
      'introspection',
    );
    if (isBlocked) throw apiError(429, 'rate_limited', 'Too many introspection requests', timeToBlockExpire);
  }
}
