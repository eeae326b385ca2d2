import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import type { Pool } from 'mysql2';
import { DataSource, EntityManager, In, IsNull, SelectQueryBuilder } from 'typeorm';
import { padToPowerOfTwo } from '../database/padded.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { AUTH_SQL, AuthReads } from './auth-reads.js';
import type { UserEntity } from '../users/user.entity.js';
import {
  type ActiveWindow,
  type EndReason,
  EXPIRED_AT_SQL,
  liveParams,
  liveSql,
  pastLimitsSql,
} from './session-policy.js';
import { SessionDisplay, SessionEntity } from './session.entity.js';

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
  display: SessionDisplay;
  user: Pick<UserEntity, 'id' | 'email' | 'name' | 'createdAt'>;
}

// The throttled touch, as prepared on the driver as the lookup: every live session writes it once a
// minute, and a TypeORM query builder costs several times as much CPU per call. Touches are batched
// (see ActivityWriter); id lists are padded to a power of two, so there are at most
// log2(TOUCH_BATCH_MAX) + 1 statements to prepare, whatever the batch sizes.
export const TOUCH_BATCH_MAX = 256;
const touchSql = (n: number) =>
  `UPDATE sessions SET last_active_at = ? WHERE token_deleted = ? AND last_active_at <= ? AND id IN (${'?, '.repeat(n - 1)}?)`;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

@Injectable()
export class SessionsRepository {
  private sqliteAuth?: Statement;
  private readonly sqliteTouch = new Map<number, Statement>();
  private mysqlReads?: AuthReads;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly dataSource: DataSource,
  ) {}

  /** `em`: the transaction's manager when the call is part of one. */
  private repo(em = this.tx.manager) {
    return em.getRepository(SessionEntity);
  }

  /**
   * The hot path: one prepared statement on the primary key, straight on the driver
   * (no entity hydration; measured ~3× cheaper than a repository findOne on MySQL). On MySQL the
   * reads asked in one turn of the event loop share one statement (AuthReads).
   */
  async findForAuth(id: string, userId: string): Promise<SessionAuthRow | null> {
    const row = this.tx.isMysql ? await this.mysqlAuth(id, userId) : this.sqliteAuthRow(id, userId);
    if (!row) return null;
    return {
      userId: String(row.user_id),
      tokenDeleted: Boolean(Number(row.token_deleted)),
      loggedOut: Boolean(Number(row.logged_out)),
      expiresAt: Number(row.expires_at),
      lastActiveAt: Number(row.last_active_at),
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
          createdAt: Number(row.created_at),
        };
      },
      get user() {
        return { id: userId, email: String(row.email), name: text(row.name), createdAt: Number(row.user_created_at) };
      },
    };
  }

  private mysqlExecute<T>(sql: string, params: (string | number)[]): Promise<T> {
    const pool = (this.dataSource.driver as unknown as { pool: Pool }).pool;
    return new Promise((resolve, reject) =>
      pool.execute(sql, params, (err, result) => (err ? reject(err) : resolve(result as T))),
    );
  }

  private mysqlAuth(id: string, userId: string): Promise<Record<string, unknown> | undefined> {
    this.mysqlReads ??= new AuthReads((sql, params) => this.mysqlExecute<Record<string, unknown>[]>(sql, params));
    return this.mysqlReads.read(id, userId);
  }

  private sqlitePrepare(sql: string): Statement {
    return (
      this.dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): Statement } }
    ).databaseConnection.prepare(sql);
  }

  private sqliteAuthRow(id: string, userId: string): Record<string, unknown> | undefined {
    this.sqliteAuth ??= this.sqlitePrepare(AUTH_SQL);
    return this.sqliteAuth.get(id, userId) as Record<string, unknown> | undefined;
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
    const params = [at, 0, writtenBefore, ...list];
    if (this.tx.isMysql)
      return (await this.mysqlExecute<{ affectedRows: number }>(touchSql(list.length), params)).affectedRows;
    let statement = this.sqliteTouch.get(list.length);
    if (!statement) this.sqliteTouch.set(list.length, (statement = this.sqlitePrepare(touchSql(list.length))));
    return statement.run(...params).changes;
  }

  /** The stored `last_active_at` of those of `ids` that exist. */
  async lastActiveAt(ids: string[]): Promise<Map<string, number>> {
    const rows = await this.repo().find({ select: { id: true, lastActiveAt: true }, where: { id: In(ids) } });
    return new Map(rows.map((r) => [r.id, r.lastActiveAt]));
  }

  async insert(session: SessionEntity, em?: EntityManager): Promise<void> {
    await this.repo(em).insert(session);
  }

  findById(id: string): Promise<SessionEntity | null> {
    return this.repo().findOneBy({ id });
  }

  findOwned(id: string, userId: string): Promise<SessionEntity | null> {
    return this.repo().findOneBy({ id, userId });
  }

  private active(qb: SelectQueryBuilder<SessionEntity>, w: ActiveWindow): SelectQueryBuilder<SessionEntity> {
    return qb.andWhere(liveSql('s.'), liveParams(w));
  }

  listForUser(userId: string, opts: { activeOnly: boolean; limit: number } & ActiveWindow): Promise<SessionEntity[]> {
    let qb = this.repo().createQueryBuilder('s').where('s.user_id = :userId', { userId });
    if (opts.activeOnly) qb = this.active(qb, opts);
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
    const rows = await this.active(
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
      // last_active_at only moves forward: a batched touch may have stored a later time meanwhile.
      .set({
        refreshTokenHash: next.hash,
        refreshGeneration: next.generation,
        refreshedAt: next.now,
        lastActiveAt: () => 'CASE WHEN last_active_at < :now THEN :now ELSE last_active_at END',
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
