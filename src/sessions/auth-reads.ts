import { padToPowerOfTwo } from '../database/padded.js';
import { AUTH_READS_MAX, AUTH_SQL, authSqlMany } from './sessions.sql.js';

type Row = Record<string, unknown>;
type Execute = (sql: string, params: string[]) => Promise<Row[]>;

interface Waiting {
  id: string;
  userId: string;
  resolve: (row: Row | undefined) => void;
  reject: (e: unknown) => void;
}

/**
 * The per-request session reads of a networked database, coalesced: the reads asked during one
 * turn of the event loop (the requests that arrived together) go to the primary as one statement,
 * `… WHERE (s.id, s.user_id) IN ((?, ?), …)`, instead of one round trip each; a read asked alone
 * runs the single-row statement. A read still starts after its caller asked (and took its cache
 * ticket), on the primary, so it is exactly as fresh as a read of its own; it waits for the end of
 * the current turn at most. When the statement fails, every read in it fails with that error.
 */
export class AuthReads {
  private waiting: Waiting[] = [];

  constructor(private readonly execute: Execute) {}

  /** The row of session `id` if it belongs to `userId`. */
  read(id: string, userId: string): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ id, userId, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += AUTH_READS_MAX) void this.run(all.slice(i, i + AUTH_READS_MAX));
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const [w] = batch;
        w.resolve((await this.execute(AUTH_SQL, [w.id, w.userId]))[0]);
        return;
      }
      const pairs = padToPowerOfTwo(batch);
      const rows = await this.execute(
        authSqlMany(pairs.length),
        pairs.flatMap((w) => [w.id, w.userId]),
      );
      const byId = new Map(rows.map((r) => [String(r.id), r]));
      for (const w of batch) {
        const row = byId.get(w.id);
        w.resolve(row && String(row.user_id) === w.userId ? row : undefined);
      }
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }
}
