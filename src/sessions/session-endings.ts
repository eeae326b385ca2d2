import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SqlDriver } from '../database/sql-driver.js';
import {
  APPEND_ENDING_SQL,
  deleteEndingsSql,
  ENDINGS_START_SQL,
  OLD_ENDINGS_SQL,
  READ_ENDINGS_SQL,
} from './sessions.sql.js';
import type { EvictTarget } from './validity-lru.js';

/**
 * An ending's sequence number is taken at its insert, but endings commit in any order: a number
 * missing below the highest one read may belong to a transaction that has not committed yet. The
 * tail re-reads from the first missing number until it shows up, or for this long (then it
 * counts as rolled back). An ending whose transaction stays open longer could be missed.
 */
export const GAP_MS = 60_000;
/** Endings are kept this long (the sweep prunes older ones): far beyond every lease and GAP_MS. */
export const ENDINGS_KEPT_MS = 3_600_000;
const PAGE = 500;

export interface Ending {
  seq: number;
  target: EvictTarget;
}

/**
 * The revocation log: the database, not the revoking process, is the source of every eviction.
 * Each ending appends a row in its own transaction (SessionStore); each instance that shares a
 * cache with others tails it (EndingsTail) before it may renew its lease, so a committed ending
 * reaches every cache within one lease whatever fails after the commit: the revoking instance
 * killed, cut off from Redis, or never told that its commit succeeded.
 */
@Injectable()
export class SessionEndingsLog {
  constructor(private readonly db: SqlDriver) {}

  /** In `em`'s transaction: the ending and its row commit together. */
  async append(target: Required<Pick<EvictTarget, 'userId'>> & EvictTarget, em: EntityManager): Promise<void> {
    // Real time: it is compared across instances (gaps, pruning), never with the app's clock.
    await em.query(APPEND_ENDING_SQL, [target.userId, target.ids ? JSON.stringify(target.ids) : null, Date.now()]);
  }

  async startAt(before: number): Promise<number> {
    const row = await this.db.statement(ENDINGS_START_SQL).get([before]);
    return Number(row?.seq ?? 0);
  }

  async read(after: number, limit: number): Promise<Ending[]> {
    const rows = await this.db.statement(READ_ENDINGS_SQL).all([after, limit]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      target: {
        userId: String(r.user_id),
        ...(typeof r.session_ids === 'string' ? { ids: JSON.parse(r.session_ids) as string[] } : {}),
      },
    }));
  }

  /** Deletes endings written before `before`, in batches; returns how many. */
  async prune(before: number): Promise<number> {
    let pruned = 0;
    for (let n = PAGE; n === PAGE; pruned += n) {
      const seqs = (await this.db.statement(OLD_ENDINGS_SQL).all([before, PAGE])).map((r) => Number(r.seq));
      n = seqs.length;
      if (n > 0) await this.db.statement(deleteEndingsSql(n)).run(seqs);
    }
    return pruned;
  }
}

/**
 * One instance's reading position in the log. `poll()` applies every ending committed before it
 * started (each once) and throws when the database cannot answer; the cache's lease is renewed
 * only from a poll that succeeded.
 */
export class EndingsTail {
  /** Every ending up to here has been applied, or its number counted as a gap that will not fill. */
  private watermark: number | null = null;
  private readonly applied = new Set<number>();
  private readonly gaps = new Map<number, number>();

  constructor(
    private readonly log: Pick<SessionEndingsLog, 'startAt' | 'read'>,
    private readonly apply: (target: EvictTarget) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async poll(): Promise<void> {
    this.watermark ??= await this.log.startAt(this.now() - GAP_MS);
    for (let after = this.watermark; ;) {
      const rows = await this.log.read(after, PAGE);
      for (const { seq, target } of rows) {
        if (!this.applied.has(seq)) {
          this.applied.add(seq);
          this.apply(target);
        }
        after = seq;
      }
      if (rows.length < PAGE) break;
    }
    this.advance();
  }

  private advance(): void {
    const now = this.now();
    let w = this.watermark!;
    while (this.applied.size > 0) {
      const next = w + 1;
      if (this.applied.delete(next)) {
        this.gaps.delete(next);
        w = next;
        continue;
      }
      const since = this.gaps.get(next) ?? now;
      this.gaps.set(next, since);
      if (now - since < GAP_MS) break;
      this.gaps.delete(next);
      w = next;
    }
    this.watermark = w;
  }
}
