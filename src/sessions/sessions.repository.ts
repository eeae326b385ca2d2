import { Injectable } from '@nestjs/common';
import { EntityManager, In, IsNull, SelectQueryBuilder } from 'typeorm';
import { padToPowerOfTwo } from '../database/padded.js';
import { type SqlRow, SqlDriver } from '../database/sql-driver.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { UserEntity } from '../users/user.entity.js';
import { AuthReads } from './auth-reads.js';
import {
  type ActiveWindow,
  type EndReason,
  EXPIRED_AT_SQL,
  liveParams,
  liveSql,
  pastLimitsSql,
} from './session-policy.js';
import { SessionDisplay, SessionEntity } from './session.entity.js';
import {
  AUTH_SQL,
  INSERT_IF_CURRENT_SQL,
  LAST_ACTIVE_FORWARD_SQL,
  SESSION_FIELDS,
  TOUCH_BATCH_MAX,
  touchSql,
} from './sessions.sql.js';

/** Which sessions an ending applies to: some of a user's (`ids`, not empty), or all of them but `exceptId`. */
export interface EndFilter {
  userId: string;
  ids?: string[];
  exceptId?: string;
}

/** What the per-request check reads: the session's state, plus what GET /v1/auth/me shows of it and of its user. */
export interface SessionAuthRow {
  userId: string;
  tokenDeleted: boolean;
  loggedOut: boolean;
  expiresAt: number;
  lastActiveAt: number;
  /** Where the session was last used from: a request from elsewhere moves it (SessionLocations). */
  lastIpAddress: string | null;
  display: SessionDisplay;
  user: Pick<UserEntity, 'id' | 'email' | 'name' | 'emailVerifiedAt' | 'createdAt'> & { grantedRoles: string[] };
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

const live = (qb: SelectQueryBuilder<SessionEntity>, w: ActiveWindow) => qb.andWhere(liveSql('s.'), liveParams(w));

/**
 * Every query on the sessions table, and nothing else: no cache, no rules (session-policy.ts
 * gives the "live" predicate, SessionStore the eviction that follows an ending). Methods that
 * may run inside a transaction take its manager as their last argument.
 */
@Injectable()
export class SessionsRepository {
  private readonly read: (id: string, userId: string) => Promise<SqlRow | undefined>;
  /**
   * The table, through the caller's transaction when the call is part of one (a field: the prototype holds queries
   * only).
   */
  private readonly repo = (em = this.tx.manager) => em.getRepository(SessionEntity);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly db: SqlDriver,
  ) {
    const single = db.statement(AUTH_SQL);
    // A networked database: the reads asked in one turn of the event loop share one statement.
    const reads = db.embedded ? null : new AuthReads((sql, params) => db.statement(sql).all(params));
    this.read = reads ? (id, userId) => reads.read(id, userId) : (id, userId) => single.get([id, userId]);
  }

  /**
   * The hot path: one prepared statement on the primary key, straight on the driver (no entity
   * hydration). On MySQL the reads asked in one turn of the event loop share one statement (AuthReads).
   */
  async findForAuth(id: string, userId: string): Promise<SessionAuthRow | null> {
    const row = await this.read(id, userId);
    if (!row) return null;
    return {
      userId: String(row.user_id),
      tokenDeleted: Boolean(Number(row.token_deleted)),
      loggedOut: Boolean(Number(row.logged_out)),
      expiresAt: Number(row.expires_at),
      lastActiveAt: Number(row.last_active_at),
      lastIpAddress: text(row.last_ip_address),
      // Mapped when GET /v1/auth/me first asks, not on every check that reads the row.
      get display() {
        return {
          id,
          deviceName: String(row.device_name),
          deviceType: String(row.device_type),
          deviceVendor: text(row.device_vendor),
          deviceModel: text(row.device_model),
          browserName: text(row.browser_name),
          browserVersion: text(row.browser_version),
          osName: text(row.os_name),
          osVersion: text(row.os_version),
          userAgent: text(row.user_agent),
          ipAddress: text(row.ip_address),
          country: text(row.location_country),
          region: text(row.location_region),
          city: text(row.location_city),
          lastIpAddress: text(row.last_ip_address),
          lastCountry: text(row.last_location_country),
          lastRegion: text(row.last_location_region),
          lastCity: text(row.last_location_city),
          createdAt: Number(row.created_at),
        };
      },
      get user() {
        return {
          id: userId,
          email: String(row.email),
          name: text(row.name),
          emailVerifiedAt: row.email_verified_at === null ? null : Number(row.email_verified_at),
          createdAt: Number(row.user_created_at),
          grantedRoles: typeof row.granted_roles === 'string' ? row.granted_roles.split(',') : [],
        };
      },
    };
  }

  /**
   * Sets `last_active_at = at` on the live sessions among `ids` (distinct, at most TOUCH_BATCH_MAX)
   * whose stored time is at or before `writtenBefore`: the condition makes a touch another instance
   * already wrote a no-op. Returns how many rows this call wrote.
   */
  async touchLastActive(ids: string[], at: number, writtenBefore: number): Promise<number> {
    if (ids.length === 0) return 0;
    if (ids.length > TOUCH_BATCH_MAX) throw new RangeError(`at most ${TOUCH_BATCH_MAX} sessions a touch`);
    const list = padToPowerOfTwo(ids);
    return this.db.statement(touchSql(list.length)).run([at, 0, writtenBefore, ...list]);
  }

  /** The stored `last_active_at` of those of `ids` that exist. */
  async lastActiveAt(ids: string[]): Promise<Map<string, number>> {
    const rows = await this.repo().find({ select: { id: true, lastActiveAt: true }, where: { id: In(ids) } });
    return new Map(rows.map((r) => [r.id, r.lastActiveAt]));
  }

  /**
   * Stores the session if its user's credential version is still `credentialVersion` (see
   * INSERT_IF_CURRENT_SQL); whether it was stored. The only way a session row is made; in a
   * transaction (`em`), which TransactionRunner retries on a deadlock.
   */
  async insert(session: SessionEntity, credentialVersion: number, em: EntityManager): Promise<boolean> {
    const params = [...SESSION_FIELDS.map((f) => session[f]), session.userId, credentialVersion];
    if (!em.queryRunner) throw new Error('SessionsRepository.insert runs in a transaction');
    const result = await em.queryRunner.query(INSERT_IF_CURRENT_SQL, params, true);
    return (result.affected ?? 0) > 0;
  }

  findById(id: string): Promise<SessionEntity | null> {
    return this.repo().findOneBy({ id });
  }

  findOwned(id: string, userId: string): Promise<SessionEntity | null> {
    return this.repo().findOneBy({ id, userId });
  }

  /** When the session last proved the password; null unless it exists, belongs to `userId` and has not ended. */
  async authenticatedAt(id: string, userId: string): Promise<number | null> {
    const row = await this.repo().findOne({
      select: { authenticatedAt: true },
      where: { id, userId, tokenDeleted: false },
    });
    return row?.authenticatedAt ?? null;
  }

  /** Stores a password proof on a session that has not ended; whether it did. */
  async markAuthenticated(id: string, userId: string, at: number): Promise<boolean> {
    const result = await this.repo().update({ id, userId, tokenDeleted: false }, { authenticatedAt: at });
    return (result.affected ?? 0) > 0;
  }

  listForUser(userId: string, opts: { activeOnly: boolean; limit: number } & ActiveWindow): Promise<SessionEntity[]> {
    let qb = this.repo().createQueryBuilder('s').where('s.user_id = :userId', { userId });
    if (opts.activeOnly) qb = live(qb, opts);
    return qb.orderBy('s.last_active_at', 'DESC').addOrderBy('s.created_at', 'DESC').limit(opts.limit).getMany();
  }

  /** Whether the user has any session, live or in the kept history, from this browser + OS + device type. */
  hasDeviceLike(userId: string, d: Pick<SessionEntity, 'browserName' | 'osName' | 'deviceType'>): Promise<boolean> {
    return this.repo().existsBy({
      userId,
      deviceType: d.deviceType,
      browserName: d.browserName ?? IsNull(),
      osName: d.osName ?? IsNull(),
    });
  }

  /** Whether the user has any session, live or in the kept history. */
  hasAny(userId: string): Promise<boolean> {
    return this.repo().existsBy({ userId });
  }

  /** Ids of the user's sessions that an end() call stamped with this moment and reason. */
  async idsEndedAt(userId: string, endedAt: number, reason: EndReason, em?: EntityManager): Promise<string[]> {
    const rows = await this.repo(em)
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where('s.user_id = :userId AND s.ended_at = :endedAt AND s.end_reason = :reason', { userId, endedAt, reason })
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Ids of the user's active sessions, least recently active first. */
  async activeIdsByAge(userId: string, w: ActiveWindow, em?: EntityManager): Promise<string[]> {
    const rows = await live(
      this.repo(em).createQueryBuilder('s').select('s.id', 'id').where('s.user_id = :userId', { userId }),
      w,
    )
      .orderBy('s.last_active_at', 'ASC')
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /**
   * Ends the sessions matching the filter that are live in the window, once: rows already ended
   * keep their `ended_at`/`end_reason`. Returns how many sessions this call ended.
   */
  async end(
    filter: EndFilter,
    reason: EndReason,
    loggedOut: boolean,
    w: ActiveWindow,
    em?: EntityManager,
  ): Promise<number> {
    const qb = this.repo(em)
      .createQueryBuilder()
      .update()
      .set({ tokenDeleted: true, loggedOut, endedAt: w.now, endReason: reason })
      .where('user_id = :userId', { userId: filter.userId })
      .andWhere(liveSql(), liveParams(w));
    if (filter.ids) qb.andWhere('id IN (:...ids)', { ids: filter.ids });
    if (filter.exceptId) qb.andWhere('id <> :exceptId', { exceptId: filter.exceptId });
    return (await qb.execute()).affected ?? 0;
  }

  /** Marks one session expired at the moment it expired (no-op when it already ended). */
  async markExpired(id: string, expiredAt: number): Promise<void> {
    await this.repo()
      .createQueryBuilder()
      .update()
      .set({ tokenDeleted: true, endedAt: expiredAt, endReason: 'expired' })
      .where('id = :id AND token_deleted = :no', { id, no: false })
      .execute();
  }

  /** Compare-and-set on the current token's hash: of N concurrent rotations exactly one wins. */
  async rotateRefresh(
    id: string,
    expectedHash: string,
    next: { hash: string; generation: number; now: number },
  ): Promise<boolean> {
    const result = await this.repo()
      .createQueryBuilder()
      .update()
      .set({
        refreshTokenHash: next.hash,
        refreshGeneration: next.generation,
        refreshedAt: next.now,
        lastActiveAt: () => LAST_ACTIVE_FORWARD_SQL,
      })
      .where('id = :id AND refresh_token_hash = :expectedHash AND token_deleted = :no', {
        id,
        expectedHash,
        no: false,
        now: next.now,
      })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Ids of up to `limit` sessions still flagged live but past their absolute or idle limit in the window. */
  async pastLimits(w: ActiveWindow, limit: number): Promise<string[]> {
    const rows = await this.repo()
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where(pastLimitsSql('s.'), liveParams(w))
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Marks those of `ids` still flagged live as expired, each at the moment it expired; returns how many. */
  async expire(ids: string[], idleTtlMs: number): Promise<number> {
    const result = await this.repo()
      .createQueryBuilder()
      .update()
      .set({ tokenDeleted: true, endReason: 'expired', endedAt: () => EXPIRED_AT_SQL })
      .where('id IN (:...ids) AND token_deleted = :no', { ids, no: false })
      .setParameter('idle', idleTtlMs)
      .execute();
    return result.affected ?? ids.length;
  }

  /**
   * Moves the session's last address to `next`, compare-and-set on the one read before (`prev`),
   * while it has not ended: of instances moving it at once, one does. Whether this call did.
   */
  async moveLastAddress(
    id: string,
    userId: string,
    prev: string | null,
    next: Pick<SessionEntity, 'lastIpAddress' | 'lastCountry' | 'lastRegion' | 'lastCity'>,
    em?: EntityManager,
  ): Promise<boolean> {
    const qb = this.repo(em)
      .createQueryBuilder()
      .update()
      .set(next)
      .where('id = :id AND user_id = :userId AND token_deleted = :no', { id, userId, no: false });
    qb.andWhere(prev === null ? 'last_ip_address IS NULL' : 'last_ip_address = :prev', { prev });
    return ((await qb.execute()).affected ?? 0) > 0;
  }

  /** Where the session was last used from, and the country it placed; null unless it is the user's. */
  async lastAddress(
    id: string,
    userId: string,
  ): Promise<Pick<SessionEntity, 'lastIpAddress' | 'lastCountry' | 'lastRegion' | 'lastCity'> | null> {
    return this.repo().findOne({
      select: { lastIpAddress: true, lastCountry: true, lastRegion: true, lastCity: true },
      where: { id, userId },
    });
  }

  /** Renames a session of the user that has not ended; whether it did. */
  async rename(id: string, userId: string, deviceName: string): Promise<boolean> {
    const result = await this.repo().update({ id, userId, tokenDeleted: false }, { deviceName });
    return (result.affected ?? 0) > 0;
  }

  /** Deletes every session row of the user, history too (account deletion erases them). */
  async deleteForUser(userId: string, em?: EntityManager): Promise<void> {
    await this.repo(em).delete({ userId });
  }

  /** Deletes up to `limit` sessions that ended before `cutoff`; returns how many. */
  async purgeEndedBefore(cutoff: number, limit: number): Promise<number> {
    const rows = await this.repo()
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where('s.ended_at < :cutoff', { cutoff })
      .limit(limit)
      .getRawMany<{ id: string }>();
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    const result = await this.repo().createQueryBuilder().delete().where('id IN (:...ids)', { ids }).execute();
    return result.affected ?? rows.length;
  }
}
