import { apiError } from '../common/api-error.js';
import { Injectable, Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AuthContext } from '../common/auth-context.js';
import type { CheckedSession } from './checked-session.js';
import { Clock } from '../common/clock.js';
import { newId, randomSecret } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsersService } from '../users/users.service.js';
import { ActivityWriter } from './activity-writer.js';
import { normalizeIp, parseUserAgent } from './device.js';
import { GeoLocator } from './geo-locator.js';
import type { RevokedResponse } from './dto/session-queries.dto.js';
import { SessionResponse, toSessionResponse } from './dto/session.response.js';
import { RefreshTokenCodec } from './refresh-token.js';
import { SessionEvents } from './session-events.js';
import { SessionStore } from './session-store.js';
import type { CachedSession } from './validity-lru.js';
import { activeWindow, type ActiveWindow, type EndReason, isLive, validity } from './session-policy.js';
import type { SessionEntity } from './session.entity.js';
import { type EndFilter, SessionAuthRow, SessionsRepository } from './sessions.repository.js';

/** What auth needs to sign a token pair for a session. */
export interface IssuedSession {
  sessionId: string;
  userId: string;
  generation: number;
  refreshToken: string;
  /** When this generation was issued (ms); the access token's `iat`, so a re-issued pair is identical. */
  issuedAt: number;
  expiresAt: number;
}

export interface LoginContext {
  userAgent?: string;
  ip?: string;
  deviceName?: string;
}

/** Status filter of a listing. */
export type StatusFilter = 'active' | 'all';

/** Where GET /v1/auth/me's body takes `lastActiveAt` (see SessionsService.me). */
const ME_SPLICE = '\u0000lastActiveAt\u0000';
const ME_SPLICE_JSON = JSON.stringify(ME_SPLICE);

/** `last_active_at` is written at most this often per session. */
export const TOUCH_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;

@Injectable()
export class SessionsService implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(SessionsService.name);
  private readonly activity: ActivityWriter;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly graceMs: number;
  private readonly maxPerUser: number;
  private readonly retentionMs: number;
  private readonly codec: RefreshTokenCodec;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
    private readonly geo: GeoLocator,
    private readonly events: SessionEvents,
    private readonly store: SessionStore,
  ) {
    const s = config.get('session', { infer: true });
    this.idleMs = s.idleTtl * 1000;
    this.absoluteMs = s.absoluteTtl * 1000;
    this.graceMs = s.refreshReuseGrace * 1000;
    this.maxPerUser = s.maxPerUser;
    this.retentionMs = s.retentionDays * 86_400_000;
    this.codec = new RefreshTokenCodec(config.get('auth', { infer: true }).refreshKey);
    this.activity = new ActivityWriter(store, TOUCH_INTERVAL_MS, (e) => this.logger.warn(`touch failed: ${e.message}`));
    // The cache holds the profile GET /v1/auth/me shows: a change evicts it like a revocation.
    users.onProfileChange((userId) => this.store.evictUser(userId));
  }

  private window(now = this.clock.now()): ActiveWindow {
    return activeWindow(now, this.idleMs);
  }

  private issued(s: SessionEntity, generation: number, issuedAt: number): IssuedSession {
    return {
      sessionId: s.id,
      userId: s.userId,
      generation,
      refreshToken: this.codec.issue(s.id, generation, s.refreshSeed),
      issuedAt,
      expiresAt: s.expiresAt,
    };
  }

  /** Starts a session for a login; with MAX_SESSIONS_PER_USER the least recently active ones end in the same transaction. */
  async create(userId: string, ctx: LoginContext): Promise<IssuedSession> {
    const now = this.clock.now();
    const id = newId();
    const seed = randomSecret(32).toString('hex');
    const ipAddress = normalizeIp(ctx.ip);
    const session: SessionEntity = {
      id,
      userId,
      ...parseUserAgent(ctx.userAgent, ctx.deviceName),
      userAgent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
      ipAddress,
      ...(this.geo.lookup(ipAddress) ?? { country: null, region: null, city: null }),
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
    };
    const newDevice = !(await this.sessions.hasDeviceLike(userId, session));
    if (this.maxPerUser > 0) {
      await this.tx.run(async (em) => {
        await this.users.lockForUpdate(userId, em);
        const active = await this.sessions.activeIdsByAge(userId, this.window(now), em);
        const excess = active.length - this.maxPerUser + 1;
        if (excess > 0) await this.end({ userId, ids: active.slice(0, excess) }, 'session_limit', now, em);
        await this.sessions.insert(session, em);
      });
    } else {
      await this.sessions.insert(session);
    }
    this.events.created(userId, newDevice, toSessionResponse(session, null, now, this.idleMs), now);
    return this.issued(session, 0, now);
  }

  /**
   * The per-request check behind every authenticated route: the session exists, belongs to
   * the token's user, has not ended, is within its absolute and idle limits. A cached answer
   * (see SessionInvalidation) skips the read; a miss reads the row and may fill the cache.
   * A database that cannot answer is a 503, never a 401 (clients drop their tokens on 401).
   */
  async validate(userId: string, sessionId: string): Promise<CheckedSession> {
    const now = this.clock.now();
    const hit = this.store.cached(sessionId, userId, now);
    if (hit) {
      this.touch(sessionId, now, hit);
      return { userId, sessionId, session: hit };
    }
    // The row stays with this request only: the cache keeps the check's fields and, once
    // GET /v1/auth/me was asked, its rendered body.
    const found = await this.store.findLive(sessionId, userId, now);
    this.touch(sessionId, now, found.session);
    return found;
  }

  /**
   * GET /v1/auth/me's body, as JSON, rendered once per session; later answers only splice in
   * `lastActiveAt`. From the row the check read, or, for a session answered from the cache
   * before its first GET /v1/auth/me, from one read of its own.
   */
  async me(auth: CheckedSession): Promise<string> {
    let s = auth.session;
    let row = auth.read;
    if (!s?.me && !row) {
      row = await this.store.readLive(auth.sessionId, auth.userId, this.clock.now());
    }
    s ??= { userId: auth.userId, expiresAt: row!.expiresAt, lastActiveAt: row!.lastActiveAt, touchAskedAt: 0 };
    // An entry evicted meanwhile (say, by a profile change) is no longer in the cache: setting it is harmless.
    s.me ??= this.renderMe(s, row!);
    return s.me[0] + JSON.stringify(new Date(s.lastActiveAt).toISOString()) + s.me[1];
  }

  private renderMe(s: CachedSession, { display, user }: SessionAuthRow): [string, string] {
    const live = {
      ...display,
      expiresAt: s.expiresAt,
      lastActiveAt: s.lastActiveAt,
      tokenDeleted: false,
      endedAt: null,
      endReason: null,
    };
    const body = {
      user: this.users.profile(user),
      session: toSessionResponse(live, display.id, this.clock.now(), this.idleMs),
    };
    body.session.lastActiveAt = ME_SPLICE;
    const json = JSON.stringify(body);
    // The last occurrence: only fixed-format fields follow lastActiveAt, while names and user agents come before it.
    const at = json.lastIndexOf(ME_SPLICE_JSON);
    return [json.slice(0, at), json.slice(at + ME_SPLICE_JSON.length)];
  }

  /**
   * Asks for a `last_active_at` write at most once per TOUCH_INTERVAL_MS, off the request path
   * and batched with other sessions' (ActivityWriter). The cached `lastActiveAt` moves only when
   * the write stored it, so it never runs ahead of the row.
   */
  private touch(sessionId: string, now: number, entry: CachedSession): void {
    if (now - entry.lastActiveAt < TOUCH_INTERVAL_MS || now - entry.touchAskedAt < TOUCH_INTERVAL_MS) return;
    entry.touchAskedAt = now;
    this.activity.touch(sessionId, now, entry);
  }

  /** Writes the touches queued so far (tests; shutdown closes the writer in onModuleDestroy). */
  flushActivity(): Promise<void> {
    return this.activity.flush();
  }

  /**
   * Shutdown, first step (Nest then drains the HTTP server and only afterwards closes the
   * database): the queued touches are written, and those of requests still in flight at once.
   */
  onModuleDestroy(): Promise<void> {
    return this.activity.close();
  }

  /** After the drain, before the (global) database module closes its pool: the in-flight requests' touches land. */
  onApplicationShutdown(): Promise<void> {
    return this.activity.flush();
  }

  /**
   * Rotates a refresh token. The current token advances the session one generation (a
   * compare-and-set, so N concurrent calls advance it once and all get the same pair); the
   * token just rotated away, within REFRESH_REUSE_GRACE, gets the current pair again; any
   * other token of the session is reuse and ends it.
   */
  async rotate(refreshToken: string): Promise<IssuedSession> {
    const parsed = this.codec.parse(refreshToken);
    const session = parsed ? await this.sessions.findById(parsed.sessionId) : null;
    if (!parsed || !session || !this.codec.verify(parsed, session.refreshSeed))
      throw apiError(401, 'refresh_invalid', 'Invalid refresh token');
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
      if (
        await this.sessions.rotateRefresh(session.id, session.refreshTokenHash, {
          hash: RefreshTokenCodec.hash(next),
          generation,
          now,
        })
      ) {
        return this.issued(session, generation, now);
      }
      const fresh = await this.sessions.findById(session.id);
      if (!isLive(fresh, now, this.idleMs)) throw apiError(401, 'session_ended', 'Session has ended');
      return this.graceOrReuse(fresh, parsed.generation, now);
    }
    return this.graceOrReuse(session, parsed.generation, now);
  }

  private async graceOrReuse(session: SessionEntity, generation: number, now: number): Promise<IssuedSession> {
    const current = session.refreshGeneration;
    if (generation === current - 1 && now - session.refreshedAt <= this.graceMs) {
      return this.issued(session, current, session.refreshedAt);
    }
    if (generation < current) {
      await this.end({ userId: session.userId, ids: [session.id] }, 'refresh_reuse', now);
      this.events.refreshReuse(session.userId, session.id, now);
      this.logger.warn(`refresh token reuse: session ${session.id} ended`);
      throw apiError(401, 'refresh_reused', 'Refresh token was already used; the session has ended');
    }
    throw apiError(401, 'refresh_invalid', 'Invalid refresh token');
  }

  /** `em`: the caller's transaction, when the end is part of one. */
  private async end(filter: EndFilter, reason: EndReason, now = this.clock.now(), em?: EntityManager): Promise<number> {
    const ended = await this.store.end(filter, reason, now, em);
    if (ended === 0) return 0;
    // When every id asked for was ended (logout, revoke, reuse, cap) the ids are known; only
    // user-wide ends ask which rows this call stamped with its moment and reason.
    const ids =
      filter.ids?.length === ended ? filter.ids : await this.sessions.idsEndedAt(filter.userId, now, reason, em);
    this.events.revoked(filter.userId, ids, reason, now);
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

  /** Logs one of the user's devices out; repeating it changes nothing. */
  async revoke(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.sessions.findOwned(id, auth.userId))) throw apiError(404, 'not_found', 'Session not found');
    await this.end({ userId: auth.userId, ids: [id] }, id === auth.sessionId ? 'logout' : 'remote_logout');
  }

  async revokeAll(auth: AuthContext, scope: 'others' | 'all'): Promise<RevokedResponse> {
    const revoked = await this.end(
      { userId: auth.userId, exceptId: scope === 'others' ? auth.sessionId : undefined },
      'logout_all',
    );
    return { revoked };
  }

  async logout(auth: AuthContext): Promise<void> {
    await this.end({ userId: auth.userId, ids: [auth.sessionId] }, 'logout');
  }

  /** Ends every session of the user but one (password change), inside the caller's transaction. */
  endOthers(userId: string, keepId: string, reason: EndReason, em: EntityManager): Promise<number> {
    return this.end({ userId, exceptId: keepId }, reason, this.clock.now(), em);
  }

  /** Call when deleting a user row (its sessions go by FK cascade), inside that transaction. */
  userDeleted(userId: string, em: EntityManager): Promise<void> {
    return this.store.evictUser(userId, em);
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
    return { expired, purged };
  }
}
