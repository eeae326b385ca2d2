import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { apiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { AccessTokenSigner } from './access-token-signer.js';
import type { TokenPairResponse } from './dto/token-pair.response.js';
import type { IssuedPair } from './refresh-cookie.js';
import { type IssuedSession, type ParsedRefreshToken, RefreshTokenCodec } from './refresh-token.js';
import { isLive, validity } from './session-policy.js';
import { SessionLocations } from './session-locations.js';
import { SessionStore } from './session-store.js';
import type { SessionEntity } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

/**
 * A session's token pairs: how refresh rotates, when a reused token ends the session, and the
 * signing of the pair, which must re-issue a generation's pair exactly.
 */
@Injectable()
export class RefreshRotation {
  private readonly idleMs: number;
  private readonly graceMs: number;
  private readonly ttl: number;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly store: SessionStore,
    private readonly lifecycle: SessionsService,
    private readonly codec: RefreshTokenCodec,
    private readonly signer: AccessTokenSigner,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
    private readonly locations: SessionLocations,
  ) {
    const s = config.get('session', { infer: true });
    const auth = config.get('auth', { infer: true });
    [this.idleMs, this.graceMs] = [s.idleTtl * 1000, s.refreshReuseGrace * 1000];
    [this.ttl, this.issuer, this.audience] = [auth.accessTokenTtl, auth.issuer, auth.audience];
  }

  /**
   * POST /v1/auth/refresh: the next pair for a refresh token (from the body or the cookie alike).
   * From another address than the session's last (`ip`, the client's), the session's last
   * address moves there first.
   */
  async refresh(refreshToken: string, ip?: string): Promise<IssuedPair> {
    return this.issue(await this.rotate(refreshToken, ip));
  }

  /** A generation's pair, and when its refresh token dies: the session's absolute expiry (the cookie's Max-Age). */
  issue(s: IssuedSession): IssuedPair {
    return { pair: this.pair(s), expiresAt: s.expiresAt };
  }

  /**
   * Signs the pair of one session generation. Every claim derives from the generation,
   * so signing it twice gives the same token: concurrent refreshes all get one pair.
   */
  pair(s: IssuedSession): TokenPairResponse {
    const iat = Math.floor(s.issuedAt / 1000);
    const exp = Math.min(iat + this.ttl, Math.floor(s.expiresAt / 1000));
    const accessToken = this.signer.sign({
      sub: s.userId,
      sid: s.sessionId,
      jti: `${s.sessionId}.${s.generation}`,
      iat,
      exp,
      iss: this.issuer,
      aud: this.audience,
    });
    const expiresIn = Math.max(0, exp - Math.floor(this.clock.now() / 1000));
    return { accessToken, refreshToken: s.refreshToken, tokenType: 'Bearer', expiresIn, sessionId: s.sessionId };
  }

  /**
   * Rotates a refresh token. The current token advances the session one generation (a
   * compare-and-set, so N concurrent calls advance it once and all get the same pair); the
   * token just rotated away, within REFRESH_REUSE_GRACE, gets the current pair again; any
   * other token of the session is reuse and ends it.
   */
  async rotate(refreshToken: string, ip?: string): Promise<IssuedSession> {
    const { session, issued } = await this.rotated(refreshToken);
    if (SessionLocations.differs(ip, session.lastIpAddress))
      await this.locations.moved(session.userId, session.id, ip, this.clock.now());
    return issued;
  }

  private async rotated(refreshToken: string): Promise<{ session: SessionEntity; issued: IssuedSession }> {
    const { parsed, session } = (await this.issuedBy(refreshToken)) ?? {};
    if (!parsed || !session) throw apiError(401, 'refresh_invalid', 'Invalid refresh token');
    const now = this.clock.now();
    const v = validity(session, now, this.idleMs);
    if (v.state === 'ended') throw apiError(401, 'session_ended', 'Session has ended');
    if (v.state === 'expired') {
      await this.store.markExpired(session.id, v.at);
      throw apiError(401, 'session_ended', 'Session expired');
    }
    if (parsed.generation === session.refreshGeneration) {
      const generation = session.refreshGeneration + 1;
      const next = this.codec.issue(session.id, generation, session.refreshSeed);
      const hash = RefreshTokenCodec.hash(next);
      if (await this.sessions.rotateRefresh(session.id, session.refreshTokenHash, { hash, generation, now }))
        return { session, issued: this.codec.issued(session, generation, now) };
      // Another call rotated first: answer as that winner's previous generation.
      const fresh = await this.sessions.findById(session.id);
      if (!isLive(fresh, now, this.idleMs)) throw apiError(401, 'session_ended', 'Session has ended');
      return { session: fresh, issued: await this.graceOrReuse(fresh, parsed.generation, now) };
    }
    return { session, issued: await this.graceOrReuse(session, parsed.generation, now) };
  }

  /**
   * The live session whose *current* refresh token this is (introspection, revocation), else
   * null: a token rotated away, even within the grace, is not current, and nothing is changed —
   * no rotation, no reuse ending, no expiry stored.
   */
  async current(refreshToken: string): Promise<SessionEntity | null> {
    const found = await this.issuedBy(refreshToken);
    if (!found || found.parsed.generation !== found.session.refreshGeneration) return null;
    return isLive(found.session, this.clock.now(), this.idleMs) ? found.session : null;
  }

  /** The session a refresh token was issued for, when its MAC holds (any generation, any state). */
  private async issuedBy(refreshToken: string): Promise<{ parsed: ParsedRefreshToken; session: SessionEntity } | null> {
    const parsed = this.codec.parse(refreshToken);
    const session = parsed ? await this.sessions.findById(parsed.sessionId) : null;
    return parsed && session && this.codec.verify(parsed, session.refreshSeed) ? { parsed, session } : null;
  }

  private async graceOrReuse(session: SessionEntity, generation: number, now: number): Promise<IssuedSession> {
    const current = session.refreshGeneration;
    if (generation === current - 1 && now - session.refreshedAt <= this.graceMs)
      return this.codec.issued(session, current, session.refreshedAt);
    if (generation < current) {
      await this.lifecycle.endReused(session.userId, session.id, now);
      throw apiError(401, 'refresh_reused', 'Refresh token was already used; the session has ended');
    }
    throw apiError(401, 'refresh_invalid', 'Invalid refresh token');
  }
}
