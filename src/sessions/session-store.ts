import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { apiError } from '../common/api-error.js';
import type { AuthContext } from '../common/auth-context.js';
import { safeErrorMessage } from '../common/logging.js';
import type { AppConfig } from '../config/configuration.js';
import { AfterCommit } from '../database/after-commit.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { activeWindow, type EndReason, isLoggedOut, validity } from './session-policy.js';
import { type EndFilter, type SessionAuthRow, SessionsRepository } from './sessions.repository.js';
import { USER_PROFILE_CHANGED, type UserProfileChangedEvent } from '../users/user-events.js';
import { SessionEndingsLog } from './session-endings.js';
import { ValidityCache } from './validity-cache.js';
import type { CachedSession, EvictTarget } from './validity-lru.js';

/** A live session the check read from the database: its cache entry and the row. */
export interface FoundSession extends AuthContext {
  session: CachedSession;
  read: SessionAuthRow;
}

/**
 * The one owner of the cache protocol; nothing else touches the ValidityCache, and the
 * repository below is SQL only.
 * - A read goes lookup → ticket → read → fill: the ticket is taken before the read, and a fill
 *   is refused when anything was evicted since, so a read that raced a revocation can never
 *   put the ended session back.
 * - Every ending writes, appends to the revocation log in the same transaction (the database
 *   is the source of the eviction: instances that share a cache tail the log before they renew
 *   their lease), then evicts once its transaction has committed (AfterCommit): evicting before
 *   the commit would let a lookup read the still-live row and re-fill it.
 * - The activity writer's touches come through here, and the cached `lastActiveAt` follows
 *   what was stored, never ahead of the row.
 */
@Injectable()
export class SessionStore {
  private readonly logger = new Logger(SessionStore.name);
  private readonly idleMs: number;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly cache: ValidityCache,
    private readonly afterCommit: AfterCommit,
    private readonly tx: TransactionRunner,
    private readonly endings: SessionEndingsLog,
    config: ConfigService<AppConfig, true>,
  ) {
    this.idleMs = config.get('session', { infer: true }).idleTtl * 1000;
  }

  /**
   * Lookup, the first step of a read, apart from the rest so that the hot path stays synchronous:
   * the cache's entry when it holds the session live at `now` (it re-checks both time limits).
   */
  cached(sessionId: string, userId: string, now: number): CachedSession | undefined {
    return this.cache.lookup(sessionId, userId, now, this.idleMs);
  }

  /**
   * After a missed lookup: ticket, read, fill. 401 when the session is not live, 503 when the database cannot answer.
   */
  async findLive(sessionId: string, userId: string, now: number): Promise<FoundSession> {
    const ticket = this.cache.ticket();
    const read = await this.readLive(sessionId, userId, now);
    const session: CachedSession = {
      userId,
      expiresAt: read.expiresAt,
      lastActiveAt: read.lastActiveAt,
      touchAskedAt: 0,
      lastIp: read.lastIpAddress,
    };
    this.cache.fill(ticket, sessionId, session);
    return { userId, sessionId, session, read };
  }

  /**
   * The session's row if it is live at `now`, without filling the cache. A session found past its
   * limits is stored as expired (in the background) and refused like an ended one.
   */
  async readLive(sessionId: string, userId: string, now: number): Promise<SessionAuthRow> {
    let row: SessionAuthRow | null;
    try {
      row = await this.sessions.findForAuth(sessionId, userId);
    } catch (e) {
      // A database that cannot answer is a 503, never a 401: clients drop their tokens on 401.
      this.logger.error(`session lookup failed: ${safeErrorMessage(e)}`);
      throw apiError(503, 'service_unavailable', 'Session store unavailable');
    }
    const owned = row?.userId === userId ? row : null;
    const v = validity(owned, now, this.idleMs);
    if (v.state === 'expired') {
      this.markExpired(sessionId, v.at).catch((e: unknown) =>
        this.logger.warn(`mark expired failed: ${safeErrorMessage(e)}`),
      );
      throw apiError(401, 'session_ended', 'Session expired');
    }
    if (!owned || v.state === 'ended') throw apiError(401, 'session_ended', 'Session has ended');
    return owned;
  }

  /**
   * Writes a batch of touches (`at` on each session whose stored time is at or before
   * `writtenBefore`), then moves each cache entry to what was stored: when only part of the
   * batch was written, the rows are read back.
   */
  async recordActivity(batch: Map<string, CachedSession>, at: number, writtenBefore: number): Promise<void> {
    const ids = [...batch.keys()];
    const wrote = await this.sessions.touchLastActive(ids, at, writtenBefore);
    const stored = wrote === batch.size ? null : await this.sessions.lastActiveAt(ids);
    for (const [id, entry] of batch)
      entry.lastActiveAt = Math.max(entry.lastActiveAt, stored ? (stored.get(id) ?? 0) : at);
  }

  /**
   * Ends the sessions matching `filter` that are live at `now`, once (rows already ended keep
   * their ending); returns how many this call ended. `em`: the ending's transaction. Returns
   * once no instance can serve them from its cache: the eviction is confirmed, even when none
   * was still live (a retried revocation re-confirms it).
   */
  async end(filter: EndFilter, reason: EndReason, now: number, em: EntityManager): Promise<number> {
    if (filter.ids?.length === 0) return 0;
    const ended = await this.sessions.end(filter, reason, isLoggedOut(reason), activeWindow(now, this.idleMs), em);
    // `exceptId` is not in the target: evicting the kept session too costs it one database read.
    await this.evict(filter.ids ? { userId: filter.userId, ids: filter.ids } : { userId: filter.userId }, true, em);
    return ended;
  }

  /** Stores one session as expired at the moment it expired (no-op when it already ended). */
  async markExpired(id: string, at: number): Promise<void> {
    await this.sessions.markExpired(id, at);
    await this.evict({ ids: [id] }, false);
  }

  /**
   * Stores up to `limit` sessions found past their limits at `now` as expired, each at its moment; returns how many.
   */
  async expireBatch(now: number, limit: number): Promise<number> {
    const ids = await this.sessions.pastLimits(activeWindow(now, this.idleMs), limit);
    if (ids.length === 0) return 0;
    const expired = await this.sessions.expire(ids, this.idleMs);
    await this.evict({ ids }, false);
    return expired;
  }

  /**
   * Evicts every cached session of the user, confirmed like a revocation: when the user row is
   * deleted (its sessions go by FK cascade, past every ending above; call it in the deleting
   * transaction) and when the profile GET /v1/auth/me shows changed.
   */
  evictUser(userId: string, em?: EntityManager): Promise<void> {
    return this.evict({ userId }, true, em);
  }

  /**
   * A session's shown fields changed and it stays live: evicted everywhere, confirmed like a
   * revocation for a rename (`confirm`), best effort for a new last address (the next read of the
   * row shows it; a stale cached GET /v1/auth/me is no security matter).
   */
  evictSession(userId: string, sessionId: string, confirm = true): Promise<void> {
    return this.evict({ userId, ids: [sessionId] }, confirm);
  }

  /**
   * The cache holds the profile GET /v1/auth/me shows: a change evicts it like a revocation (errors reach the caller).
   */
  @OnEvent(USER_PROFILE_CHANGED, { suppressErrors: false })
  onProfileChanged({ userId }: UserProfileChangedEvent): Promise<void> {
    return this.evictUser(userId);
  }

  /**
   * Every ending ends here, after its write. With `confirm` (revocations) it is appended to the
   * revocation log in the ending's transaction (when instances share a cache: with Redis) and
   * resolves only once no instance can serve the sessions from its cache; without it
   * (time-based expiry, which a cache hit re-checks anyway), best effort.
   */
  private async evict(target: EvictTarget, confirm: boolean, em = this.tx.manager): Promise<void> {
    if (confirm && target.userId && this.cache.mode === 'redis')
      await this.endings.append({ ...target, userId: target.userId }, em);
    await this.afterCommit.run(em, () => this.cache.evict(target, confirm));
  }
}
