import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../common/random.js';
import type { AppConfig } from '../config/configuration.js';
import { SqlDriver, type SqlParam } from '../database/sql-driver.js';
import { retryLockConflicts, TransactionRunner } from '../database/transaction-runner.js';
import { FinalFailure } from './outbox-channel.js';
import { unseal } from './outbox-seal.js';
import { Outbox } from './outbox.js';
import * as sql from './outbox.sql.js';

/** Rows claimed at once; a full batch is followed by the next one at once. */
export const BATCH = 50;
/** Deliveries in flight at most: a hung receiver holds these, never the relay. */
export const MAX_IN_FLIGHT = 200;
const MAX_DELAY_MS = 3_600_000;
const DELIVERED_KEPT_MS = 86_400_000;
const PRUNE_EVERY_MS = 600_000;

interface Row {
  id: string;
  channel: string;
  payload: string;
  attempts: number;
  claim: string;
}

/**
 * Sends the outbox's rows: claims batches of due rows of the channels this instance delivers,
 * under a lease (MySQL: `SELECT … FOR UPDATE SKIP LOCKED`, so instances never claim the same
 * row; SQLite, one writer: one conditional UPDATE), delivers each on its own (a slow receiver
 * holds only its rows), then marks it delivered, due again after a doubled delay, or failed
 * after the channel's last attempt (logged). A claim that outlives its lease (the instance died)
 * falls due again, so every row is delivered at least once.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private readonly settings: AppConfig['outbox'];
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  /** The last round stopped for want of room: a finished delivery starts the next. */
  private full = false;
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
    if (this.stopping.signal.aborted || this.outbox.enabled.length === 0) return;
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

  /** Resolves once no round and no delivery is running (tests). */
  async idle(): Promise<void> {
    while (this.draining || this.running.size > 0) await Promise.allSettled([this.draining, ...this.running]);
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const room = MAX_IN_FLIGHT - this.running.size;
        this.full = room <= 0;
        if (this.full || this.stopping.signal.aborted) break;
        const want = Math.min(BATCH, room);
        const rows = await this.claim(newId(), Date.now(), want);
        for (const row of rows) this.start(row);
        if (rows.length < want) break;
      }
      if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) await this.prune(Date.now());
    } catch (e) {
      // The database is away: the rows wait where they are, and the next poll tries again.
      this.logger.warn(`relay round failed: ${(e as Error).message}`);
    }
  }

  private start(row: Row): void {
    const delivery: Promise<void> = this.deliver(row)
      .catch((e: Error) => this.logger.warn(`${row.channel} ${row.id}: could not record the outcome: ${e.message}`))
      .finally(() => {
        this.running.delete(delivery);
        if (this.full) this.kick();
      });
    this.running.add(delivery);
  }

  private claim(claim: string, now: number, limit: number): Promise<Row[]> {
    const leaseEnd = now + this.settings.leaseMs;
    const channels = this.outbox.enabled;
    return this.tx.run(async (em) => {
      if (this.db.embedded)
        await em.query(sql.claimSqliteSql(channels.length), [claim, leaseEnd, now, ...channels, limit]);
      else {
        const picked = await em.query<{ id: string }[]>(sql.pickMysqlSql(channels.length), [now, ...channels, limit]);
        if (picked.length === 0) return [];
        await em.query(sql.claimSql(picked.length), [claim, leaseEnd, ...picked.map((r) => r.id)]);
      }
      const rows = await em.query<Row[]>(sql.CLAIMED_SQL, [claim]);
      return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
    });
  }

  private async deliver(row: Row): Promise<void> {
    const channel = this.outbox.channel(row.channel)!;
    let payload: unknown;
    try {
      payload = JSON.parse(channel.sealed ? unseal(this.settings.key, row.payload) : row.payload);
      await channel.deliver({ id: row.id, payload, attempt: row.attempts, signal: this.stopping.signal });
    } catch (e) {
      // Shutdown cut it short: due again at once, for another instance (or the next start).
      if (this.stopping.signal.aborted) return this.write(sql.RELEASE_SQL, [Date.now(), row.id, row.claim]);
      const problem = ((e as Error).message || String(e)).slice(0, 255);
      return this.failed(row, channel, payload, problem, e instanceof FinalFailure || e instanceof SyntaxError);
    }
    // Outside the try: a delivered row whose outcome write fails is not a failed delivery (it
    // would be sent again at once); it is sent again only if its lease runs out unrecorded.
    await this.write(channel.sealed ? sql.DELIVERED_ERASED_SQL : sql.DELIVERED_SQL, [Date.now(), row.id, row.claim]);
  }

  private async failed(
    row: Row,
    channel: NonNullable<ReturnType<Outbox['channel']>>,
    payload: unknown,
    problem: string,
    final: boolean,
  ): Promise<void> {
    const what = `${row.channel} ${channel.describe && payload !== undefined ? channel.describe(payload) : row.id}`;
    if (final || row.attempts >= channel.maxAttempts) {
      this.logger.error(`${what}: failed for good after ${row.attempts} attempts (outbox row ${row.id}): ${problem}`);
      const failed = channel.sealed ? sql.FAILED_ERASED_SQL : sql.FAILED_SQL;
      await this.write(failed, [Date.now(), problem, row.id, row.claim]);
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, channel.retryDelayMs * 2 ** (row.attempts - 1));
    this.logger.warn(
      `${what}: attempt ${row.attempts} of ${channel.maxAttempts} failed: ${problem}; next in ${delay} ms (outbox row ${row.id})`,
    );
    await this.write(sql.RETRY_SQL, [Date.now() + delay, problem, row.id, row.claim]);
  }

  /** One statement outside any transaction; on SQLite queued behind the transactions (one connection). */
  private async write(statement: string, params: SqlParam[]): Promise<void> {
    if (this.db.embedded) await this.tx.run((em) => em.query(statement, params));
    // A one-row update by key can still lose a deadlock to a claim's FOR UPDATE: run it again.
    else await retryLockConflicts(() => this.db.statement(statement).run(params));
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
   * they are aborted and the rows this instance still holds are released (due at once).
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const busy = Promise.allSettled([this.draining, ...this.running]);
    await Promise.race([busy, sleep(this.settings.shutdownWaitMs, undefined, { ref: false })]);
    this.stopping.abort();
    await this.idle();
  }
}
