import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { SqlDriver, type SqlParam } from '../database/sql-driver.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { FinalFailure, type OutboxChannel } from './outbox-channel.js';
import { unseal } from './outbox-seal.js';
import { Outbox } from './outbox.js';
import * as sql from './outbox.sql.js';

/** Rows claimed at once; a full batch is followed by the next one at once. */
export const BATCH = 50;
const MAX_DELAY_MS = 3_600_000;
/** A row of a channel this instance does not have (its setting was removed) is retried this often, then failed. */
const UNKNOWN_CHANNEL: Pick<OutboxChannel, 'maxAttempts' | 'retryDelayMs'> = { maxAttempts: 5, retryDelayMs: 60_000 };
const DELIVERED_KEPT_MS = 86_400_000;
const PRUNE_EVERY_MS = 600_000;

interface Row {
  id: string;
  channel: string;
  payload: string;
  attempts: number;
}

/**
 * Sends the outbox's rows: claims a batch of due rows under a lease (MySQL: `SELECT … FOR
 * UPDATE SKIP LOCKED`, so instances never claim the same row; SQLite, one writer: one
 * conditional UPDATE), delivers them, then marks each delivered, due again with a doubled delay,
 * or failed after the channel's last attempt (logged). A claim that outlives its lease (the
 * instance died) falls due again, so every row is delivered at least once.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private readonly settings: AppConfig['outbox'];
  private readonly stopping = new AbortController();
  private readonly claims = new Set<string>();
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private prunedAt = Date.now();

  constructor(
    private readonly outbox: Outbox,
    private readonly tx: TransactionRunner,
    private readonly db: SqlDriver,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('outbox', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.outbox.onAdded(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.settings.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Starts a round now, or right after the one running. */
  kick(): void {
    if (this.stopping.signal.aborted || !this.outbox.active) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once no round is running (tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopping.signal.aborted && (await this.round()) === BATCH);
      if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) await this.prune(Date.now());
    } catch (e) {
      // The database is away: the rows wait where they are, and the next poll tries again.
      this.logger.warn(`relay round failed: ${(e as Error).message}`);
    }
  }

  private async round(): Promise<number> {
    const claim = newId();
    const rows = await this.claim(claim, Date.now());
    if (rows.length === 0) return 0;
    this.claims.add(claim);
    try {
      await Promise.all(rows.map((row) => this.deliver(row, claim)));
    } finally {
      this.claims.delete(claim);
      // Shutdown cut deliveries short: what is left is due again at once, for another instance.
      if (this.stopping.signal.aborted)
        await this.write(sql.RELEASE_SQL, [Date.now(), claim]).catch((e: Error) =>
          this.logger.warn(`could not release claimed rows: ${e.message}`),
        );
    }
    return rows.length;
  }

  private claim(claim: string, now: number): Promise<Row[]> {
    const leaseEnd = now + this.settings.leaseMs;
    return this.tx.run(async (em) => {
      if (this.db.embedded) await em.query(sql.CLAIM_SQLITE_SQL, [claim, leaseEnd, now, BATCH]);
      else {
        const picked = await em.query<{ id: string }[]>(sql.PICK_MYSQL_SQL, [now, BATCH]);
        if (picked.length === 0) return [];
        await em.query(sql.claimSql(picked.length), [claim, leaseEnd, ...picked.map((r) => r.id)]);
      }
      const rows = await em.query<Row[]>(sql.CLAIMED_SQL, [claim]);
      return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
    });
  }

  private async deliver(row: Row, claim: string): Promise<void> {
    const channel = this.outbox.channel(row.channel);
    const label = `${row.channel} ${row.id}`;
    let problem: string;
    let final: boolean;
    let payload: unknown;
    try {
      if (!channel?.enabled) throw new Error(`channel ${row.channel} is not configured on this instance`);
      payload = JSON.parse(channel.sealed ? unseal(this.settings.key, row.payload) : row.payload);
      await channel.deliver({ id: row.id, payload, attempt: row.attempts, signal: this.stopping.signal });
      await this.write(channel.sealed ? sql.DELIVERED_ERASED_SQL : sql.DELIVERED_SQL, [Date.now(), row.id, claim]);
      return;
    } catch (e) {
      // Shutdown: the row is released for another instance (onApplicationShutdown).
      if (this.stopping.signal.aborted) return;
      problem = ((e as Error).message || String(e)).slice(0, 255);
      final = e instanceof FinalFailure || e instanceof SyntaxError;
    }
    const { maxAttempts, retryDelayMs } = channel?.enabled ? channel : UNKNOWN_CHANNEL;
    const what = channel?.describe && payload !== undefined ? `${row.channel} ${channel.describe(payload)}` : label;
    if (final || row.attempts >= maxAttempts) {
      this.logger.error(`${what}: failed for good after ${row.attempts} attempts (outbox row ${row.id}): ${problem}`);
      await this.write(channel?.sealed ? sql.FAILED_ERASED_SQL : sql.FAILED_SQL, [Date.now(), problem, row.id, claim]);
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, retryDelayMs * 2 ** (row.attempts - 1));
    this.logger.warn(`${what}: attempt ${row.attempts} of ${maxAttempts} failed: ${problem}; next in ${delay} ms`);
    await this.write(sql.RETRY_SQL, [Date.now() + delay, problem, row.id, claim]);
  }

  /** One statement outside any transaction; on SQLite queued behind the transactions (one connection). */
  private async write(statement: string, params: SqlParam[]): Promise<void> {
    if (this.db.embedded) await this.tx.run((em) => em.query(statement, params));
    else await this.db.statement(statement).run(params);
  }

  /** Delivered rows are kept a day (for an operator to look at), failed ones for SESSION_RETENTION_DAYS. */
  async prune(now: number): Promise<number> {
    this.prunedAt = now;
    let pruned = 0;
    for (const [state, before] of [
      ['delivered', now - DELIVERED_KEPT_MS],
      ['failed', now - this.settings.failedKeptMs],
    ] as const)
      for (let n = BATCH; n === BATCH; pruned += n) {
        const ids = (await this.db.statement(sql.PRUNE_SELECT_SQL).all([state, before, BATCH])).map((r) =>
          String(r.id),
        );
        n = ids.length;
        if (n > 0) await this.write(sql.pruneSql(n), ids);
      }
    return pruned;
  }

  /**
   * After the HTTP server drained: deliveries in flight get up to OUTBOX_SHUTDOWN_WAIT_MS; then
   * they are aborted and whatever this instance still holds is released (due at once).
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const running = this.draining;
    if (running) await Promise.race([running, sleep(this.settings.shutdownWaitMs, undefined, { ref: false })]);
    this.stopping.abort();
    await this.draining;
  }
}
