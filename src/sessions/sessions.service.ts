import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { apiError } from '../common/api-error.js';
import type { AuthContext } from '../common/auth-context.js';
import { Clock } from '../common/clock.js';
import { newId, randomSecret } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsersService } from '../users/users.service.js';
import { normalizeIp, parseUserAgent } from './device.js';
import type { RevokedResponse } from './dto/session-queries.dto.js';
import { SessionResponse, toSessionResponse } from './dto/session.response.js';
import { GeoLocator } from './geo-locator.js';
import { type IssuedSession, RefreshTokenCodec } from './refresh-token.js';
import { ENDINGS_KEPT_MS, SessionEndingsLog } from './session-endings.js';
import { SessionEvents } from './session-events.js';
import { activeWindow, type ActiveWindow, type EndReason, isLive, recentlyAuthenticated } from './session-policy.js';
import { SessionStore } from './session-store.js';
import type { SessionEntity } from './session.entity.js';
import { type EndFilter, SessionsRepository } from './sessions.repository.js';

export interface LoginContext {
  userAgent?: string;
  ip?: string;
  deviceName?: string;
}

/** A login's session, and whether the owner is to be told of it. */
export interface CreatedSession extends IssuedSession {
  /**
   * Set when the owner is told of this sign-in (the new sign-in alert): a login from a device the
   * user never used (`newDevice`), unless it is the user's first login.
   */
  alert: SessionResponse | null;
}

/** Status filter of a listing. */
export type StatusFilter = 'active' | 'all';

const SWEEP_BATCH = 500;

/**
 * A session's life outside the per-request check (SessionCheck) and refresh (RefreshRotation):
 * login, the device list, who may end which session, the admin's view, and the sweep.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly maxPerUser: number;
  private readonly retentionMs: number;
  private readonly reauthMaxAgeMs: number;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly store: SessionStore,
    private readonly users: UsersService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
    private readonly geo: GeoLocator,
    private readonly events: SessionEvents,
    private readonly codec: RefreshTokenCodec,
    private readonly endings: SessionEndingsLog,
  ) {
    const s = config.get('session', { infer: true });
    this.idleMs = s.idleTtl * 1000;
    this.absoluteMs = s.absoluteTtl * 1000;
    this.maxPerUser = s.maxPerUser;
    this.retentionMs = s.retentionDays * 86_400_000;
    this.reauthMaxAgeMs = config.get('auth', { infer: true }).reauthMaxAge * 1000;
  }

  private window(now = this.clock.now()): ActiveWindow {
    return activeWindow(now, this.idleMs);
  }

  /**
   * Starts a session for a login whose password check read `credentialVersion`
   * (UsersService.verifyCredentials), with its `session.created` event, in `em`'s transaction
   * (the login's, which also holds its audit row) or one of its own; with MAX_SESSIONS_PER_USER
   * the least recently active ones end in the same transaction. Null, and nothing stored, when
   * the user's password changed (or was reset) since that check: the new password wins the race
   * (SessionsRepository.insert).
   */
  async create(
    userId: string,
    credentialVersion: number,
    ctx: LoginContext,
    em?: EntityManager,
  ): Promise<CreatedSession | null> {
    const now = this.clock.now();
    const id = newId();
    const seed = randomSecret(32).toString('hex');
    const ipAddress = normalizeIp(ctx.ip);
    const location = this.geo.lookup(ipAddress) ?? { country: null, region: null, city: null };
    const session: SessionEntity = {
      id,
      userId,
      ...parseUserAgent(ctx.userAgent, ctx.deviceName),
      userAgent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
      ipAddress,
      ...location,
      lastIpAddress: ipAddress,
      lastCountry: location.country,
      lastRegion: location.region,
      lastCity: location.city,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: now + this.absoluteMs,
      tokenDeleted: false,
      loggedOut: false,
      endedAt: null,
      endReason: null,
      refreshTokenHash: RefreshTokenCodec.hash(this.codec.issue(id, 0, seed)),
      refreshSeed: seed,
      refreshGeneration: 0,
      refreshedAt: now,
      // A login proves the password.
      authenticatedAt: now,
    };
    const newDevice = !(await this.sessions.hasDeviceLike(userId, session));
    const firstLogin = newDevice && !(await this.sessions.hasAny(userId));
    const shown = toSessionResponse(session, null, now, this.idleMs);
    const work = async (tx: EntityManager) => {
      if (this.maxPerUser > 0) await this.users.lockForUpdate(userId, tx);
      // Stored first: a refused login ends none of the others.
      if (!(await this.sessions.insert(session, credentialVersion, tx))) return false;
      if (this.maxPerUser > 0) {
        const others = (await this.sessions.activeIdsByAge(userId, this.window(now), tx)).filter((s) => s !== id);
        const excess = others.length - this.maxPerUser + 1;
        if (excess > 0) await this.end({ userId, ids: others.slice(0, excess) }, 'session_limit', now, tx);
      }
      await this.events.created(userId, newDevice, shown, now, tx);
      return true;
    };
    if (!(await (em ? work(em) : this.tx.run(work)))) return null;
    return { ...this.codec.issued(session, 0, now), alert: newDevice && !firstLogin ? shown : null };
  }

  /** A refresh token was used again (RefreshRotation decides when): the session ends, and says why. */
  async endReused(userId: string, sessionId: string, now: number): Promise<void> {
    await this.tx.run(async (em) => {
      await this.end({ userId, ids: [sessionId] }, 'refresh_reuse', now, em);
      await this.events.refreshReuse(userId, sessionId, now, em);
    });
    this.logger.warn(`refresh token reuse: session ${sessionId} ended`);
  }

  /**
   * Every ending of a session ends here: the rows, the revocation log and the `session.revoked`
   * event in one transaction (`em`: the caller's, when the end is part of one; else its own).
   */
  private async end(filter: EndFilter, reason: EndReason, now = this.clock.now(), em?: EntityManager): Promise<number> {
    if (!em) return this.tx.run((own) => this.end(filter, reason, now, own));
    const ended = await this.store.end(filter, reason, now, em);
    if (ended === 0) return 0;
    // When every id asked for was ended (logout, revoke, reuse, cap) the ids are known; only
    // user-wide ends ask which rows this call stamped with its moment and reason.
    const ids =
      filter.ids?.length === ended ? filter.ids : await this.sessions.idsEndedAt(filter.userId, now, reason, em);
    await this.events.revoked(filter.userId, ids, reason, now, em);
    return ended;
  }

  async list(userId: string, currentId: string | null, status: StatusFilter, limit = 100): Promise<SessionResponse[]> {
    const w = this.window();
    const rows = await this.sessions.listForUser(userId, { activeOnly: status === 'active', limit, ...w });
    return rows.map((s) => toSessionResponse(s, currentId, w.now, this.idleMs));
  }

  async get(auth: AuthContext, id: string): Promise<SessionResponse> {
    const session = await this.sessions.findOwned(id, auth.userId);
    if (!session) throw apiError(404, 'not_found', 'Session not found');
    return toSessionResponse(session, auth.sessionId, this.clock.now(), this.idleMs);
  }

  /**
   * Names one of the user's devices: 404 for another user's or an unknown id, 409
   * `session_ended` once it has ended. The cached GET /v1/auth/me of it shows the name, so the
   * session is evicted (on every instance) before the answer.
   */
  async rename(auth: AuthContext, id: string, deviceName: string): Promise<SessionResponse> {
    const session = await this.sessions.findOwned(id, auth.userId);
    if (!session) throw apiError(404, 'not_found', 'Session not found');
    const now = this.clock.now();
    const ended = () => apiError(409, 'session_ended', 'That session has ended; it can no longer be renamed');
    if (!isLive(session, now, this.idleMs) || !(await this.sessions.rename(id, auth.userId, deviceName))) throw ended();
    await this.store.evictSession(auth.userId, id);
    return toSessionResponse({ ...session, deviceName }, auth.sessionId, now, this.idleMs);
  }

  /**
   * Logs one of the user's devices out; repeating it changes nothing. Another device than this
   * one only with a recent password proof (a stolen access token must not sign the owner out).
   */
  async revoke(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.sessions.findOwned(id, auth.userId))) throw apiError(404, 'not_found', 'Session not found');
    if (id !== auth.sessionId) await this.requireRecentAuth(auth);
    await this.end({ userId: auth.userId, ids: [id] }, id === auth.sessionId ? 'logout' : 'remote_logout');
  }

  /** Both scopes end other sessions: a recent password proof first. */
  async revokeAll(auth: AuthContext, scope: 'others' | 'all'): Promise<RevokedResponse> {
    await this.requireRecentAuth(auth);
    const revoked = await this.end(
      { userId: auth.userId, exceptId: scope === 'others' ? auth.sessionId : undefined },
      'logout_all',
    );
    return { revoked };
  }

  /**
   * 403 `reauth_required` unless this session proved the password within REAUTH_MAX_AGE
   * (session-policy.ts `recentlyAuthenticated`); 401 when it ended meanwhile.
   */
  async requireRecentAuth(auth: AuthContext): Promise<void> {
    const at = await this.sessions.authenticatedAt(auth.sessionId, auth.userId);
    if (at === null) throw apiError(401, 'session_ended', 'Session has ended');
    if (!recentlyAuthenticated(at, this.clock.now(), this.reauthMaxAgeMs))
      throw apiError(403, 'reauth_required', 'Confirm your password first (POST /v1/auth/reauthenticate)');
  }

  /** This session proved the password just now (the caller checked it); 401 when it has ended. */
  async markAuthenticated(auth: AuthContext): Promise<void> {
    if (!(await this.sessions.markAuthenticated(auth.sessionId, auth.userId, this.clock.now())))
      throw apiError(401, 'session_ended', 'Session has ended');
  }

  async logout(auth: AuthContext): Promise<void> {
    await this.end({ userId: auth.userId, ids: [auth.sessionId] }, 'logout');
  }

  /** Ends every session of the user but one (password change), inside the caller's transaction. */
  endOthers(userId: string, keepId: string, reason: EndReason, em: EntityManager): Promise<number> {
    return this.end({ userId, exceptId: keepId }, reason, this.clock.now(), em);
  }

  /** A new password was set (change or reset), inside the caller's transaction: other services are told (SETs). */
  credentialChanged(userId: string, reason: 'password_change' | 'password_reset', em: EntityManager): Promise<void> {
    return this.events.credentialChanged(userId, reason, this.clock.now(), em);
  }

  /** Ends every session of the user (password reset), inside the caller's transaction. */
  endAll(userId: string, reason: EndReason, em: EntityManager): Promise<number> {
    return this.end({ userId }, reason, this.clock.now(), em);
  }

  /**
   * The owner reported a sign-in as not theirs ("this wasn't me" link): that session ends, whoever
   * holds it. Scoped to the user, so a link can only ever end a session of the account it was sent to.
   */
  async endReported(userId: string, sessionId: string, em?: EntityManager): Promise<void> {
    await this.end({ userId, ids: [sessionId] }, 'reported', this.clock.now(), em);
  }

  /**
   * A confidential client revoked a token of this session (POST /v1/oauth/revoke, RFC 7009); the
   * caller found the session live through the token. Repeating it changes nothing.
   */
  async endByClient(userId: string, sessionId: string): Promise<void> {
    await this.end({ userId, ids: [sessionId] }, 'client_revoke');
  }

  /**
   * Account deletion, inside its transaction: every session ends (`account_deleted`, so the
   * revocation is published and evicted on every instance after the commit like any other),
   * then every row of the user goes, history included — device, IP, User-Agent and location
   * with it.
   */
  async eraseUser(userId: string, em: EntityManager): Promise<void> {
    await this.end({ userId }, 'account_deleted', this.clock.now(), em);
    await this.sessions.deleteForUser(userId, em);
    await this.store.evictUser(userId, em);
  }

  async adminList(userId: string, status: StatusFilter, limit: number): Promise<SessionResponse[]> {
    await this.users.assertExists(userId);
    return this.list(userId, null, status, limit);
  }

  async adminRevokeAll(userId: string): Promise<RevokedResponse> {
    await this.users.assertExists(userId);
    return { revoked: await this.end({ userId }, 'admin') };
  }

  /** Marks sessions past their limits as expired and purges history older than the retention, in small batches. */
  async sweep(): Promise<{ expired: number; purged: number }> {
    const now = this.clock.now();
    let expired = 0;
    for (let n = SWEEP_BATCH; n === SWEEP_BATCH; expired += n) n = await this.store.expireBatch(now, SWEEP_BATCH);
    // No eviction: whatever ended these sessions evicted them then (and a cache hit re-checks the time limits).
    let purged = 0;
    for (let n = SWEEP_BATCH; n === SWEEP_BATCH; purged += n)
      n = await this.sessions.purgeEndedBefore(now - this.retentionMs, SWEEP_BATCH);
    // Real time, as the log's rows carry: the revocation log is about delivery, not the session clock.
    await this.endings.prune(Date.now() - ENDINGS_KEPT_MS);
    return { expired, purged };
  }
}
