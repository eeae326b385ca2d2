import { Injectable, Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import { safeErrorMessage } from '../common/logging.js';
import type { AppConfig } from '../config/configuration.js';
import { UsersService } from '../users/users.service.js';
import { ActivityWriter } from './activity-writer.js';
import type { CheckedSession } from './checked-session.js';
import { toSessionResponse } from './dto/session.response.js';
import { SessionLocations } from './session-locations.js';
import { SessionStore } from './session-store.js';
import type { SessionAuthRow } from './sessions.repository.js';
import type { CachedSession } from './validity-lru.js';

/** `last_active_at` is written at most this often per session. */
export const TOUCH_INTERVAL_MS = 60_000;

/**
 * How long a rendered GET /v1/auth/me body serves: a change this process makes evicts it at once,
 * but a grant by `npm run admin` (another process, which reaches no in-process cache) shows within this.
 */
export const ME_MAX_AGE_MS = 60_000;

/** Where GET /v1/auth/me's body takes `lastActiveAt` (see SessionCheck.me). */
const ME_SPLICE = '\u0000lastActiveAt\u0000';
const ME_SPLICE_JSON = JSON.stringify(ME_SPLICE);

/**
 * The per-request check behind every authenticated route (JwtStrategy calls it once the token
 * passed), the last-activity writes it asks for, and GET /v1/auth/me's answer from what it read.
 */
@Injectable()
export class SessionCheck implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(SessionCheck.name);
  private readonly activity: ActivityWriter;
  private readonly idleMs: number;

  constructor(
    private readonly store: SessionStore,
    private readonly users: UsersService,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
    locations: SessionLocations,
  ) {
    this.idleMs = config.get('session', { infer: true }).idleTtl * 1000;
    this.activity = new ActivityWriter(
      store,
      TOUCH_INTERVAL_MS,
      (e: unknown) => this.logger.warn(`touch failed: ${safeErrorMessage(e)}`),
      (userId, sessionId, ip, at) => locations.moved(userId, sessionId, ip, at),
    );
  }

  /**
   * The session exists, belongs to the token's user, has not ended and is within its absolute
   * and idle limits (session-policy.ts). A cached answer skips the read; a miss reads the row
   * and may fill the cache (SessionStore). A database that cannot answer is a 503, never a 401.
   * `ip`: the request's client address, where the session is being used from.
   */
  async validate(userId: string, sessionId: string, ip?: string): Promise<CheckedSession> {
    const now = this.clock.now();
    const hit = this.store.cached(sessionId, userId, now);
    if (hit) {
      this.touch(sessionId, now, hit, ip);
      return { userId, sessionId, session: hit };
    }
    // The row stays with this request only: the cache keeps the check's fields and, once
    // GET /v1/auth/me was asked, its rendered body.
    const found = await this.store.findLive(sessionId, userId, now);
    this.touch(sessionId, now, found.session, ip);
    return found;
  }

  /**
   * GET /v1/auth/me's body, as JSON, rendered once per session and ME_MAX_AGE_MS; later answers
   * only splice in `lastActiveAt`. From the row the check read, or, for a session answered from the cache
   * before its first GET /v1/auth/me, from one read of its own.
   */
  async me(auth: CheckedSession): Promise<string> {
    const now = this.clock.now();
    let s = auth.session;
    let row = auth.read;
    const render = !s?.me || now - (s.meAt ?? 0) >= ME_MAX_AGE_MS;
    if (render && !row) row = await this.store.readLive(auth.sessionId, auth.userId, now);
    s ??= { userId: auth.userId, expiresAt: row!.expiresAt, lastActiveAt: row!.lastActiveAt, touchAskedAt: 0 };
    // An entry evicted meanwhile (say, by a profile change) is no longer in the cache: setting it is harmless.
    if (render || !s.me) {
      s.me = this.renderMe(s, row!);
      s.meAt = now;
    }
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
   * the write stored it, so it never runs ahead of the row. A request from another address than
   * the session's last moves it with that write (SessionLocations), no more often.
   */
  private touch(sessionId: string, now: number, entry: CachedSession, ip: string | undefined): void {
    if (now - entry.lastActiveAt < TOUCH_INTERVAL_MS || now - entry.touchAskedAt < TOUCH_INTERVAL_MS) return;
    entry.touchAskedAt = now;
    this.activity.touch(sessionId, now, entry, SessionLocations.differs(ip, entry.lastIp) ? ip : undefined);
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
}
