import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { isServiceUnavailable, isWriteRefused } from '../common/filters/unavailable.js';
import { writeHeartbeat } from '../database/heartbeat.js';
import { pendingMigrations } from '../database/migrating-data-source.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { writeRefusalsOf } from '../database/write-refusals.js';

/** The probe's result is reused this long: its write is one commit (one fsync on SQLite) per interval. */
export const PROBE_INTERVAL_MS = 5_000;

export type NotReady = 'schema' | 'writes';

/**
 * Readiness beyond "the database answers": the schema is at the code's latest migration (an
 * empty schema with MIGRATIONS_RUN=false, or a migration not applied, fails requests one by one)
 * and a write commits: a one-row heartbeat is rewritten in its own transaction. A committed write,
 * not one rolled back, because a full disk shows at commit (the WAL append and its sync), never
 * in a transaction that is thrown away. Writes refused anywhere since the previous probe fail it
 * too: the heartbeat can commit into free space while writes that need new space do not.
 */
@Injectable()
export class DatabaseReadiness {
  private last?: { at: number; result: Promise<NotReady | undefined> };
  private refusalsSeen = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  /** What is wrong, or undefined; probes at most once per PROBE_INTERVAL_MS, and callers meanwhile share it. */
  check(): Promise<NotReady | undefined> {
    const now = this.clock.now();
    if (this.last && now - this.last.at < PROBE_INTERVAL_MS) return this.last.result;
    const result = this.probe();
    const entry = { at: now, result };
    this.last = entry;
    // An unreachable database is the ping's to report, each time: it must not stick for an interval.
    result.catch(() => {
      if (this.last === entry) this.last = undefined;
    });
    return result;
  }

  private async probe(): Promise<NotReady | undefined> {
    const refusedSinceLastProbe = writeRefusalsOf(this.dataSource) > this.refusalsSeen;
    try {
      if ((await pendingMigrations(this.dataSource)).length > 0) return 'schema';
      await writeHeartbeat(this.tx, this.clock.now());
    } catch (e) {
      if (isWriteRefused(e) || !isServiceUnavailable(e)) return 'writes';
      throw e;
    } finally {
      // The probe's own refusal is this probe's answer, not the next one's.
      this.refusalsSeen = writeRefusalsOf(this.dataSource);
    }
    return refusedSinceLastProbe ? 'writes' : undefined;
  }
}
