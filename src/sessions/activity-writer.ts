import type { CachedSession } from './session-cache.js';
import { SessionsRepository, TOUCH_BATCH_MAX } from './sessions.repository.js';

/** How long a touch may wait for others to share its UPDATE. */
export const TOUCH_BATCH_MS = 200;

/**
 * Writes sessions' `last_active_at` behind the requests, in batches: the touches asked within
 * TOUCH_BATCH_MS (at most TOUCH_BATCH_MAX of them) go to the database as one
 * `UPDATE … WHERE id IN (…)`. With one touch per live session per minute, a primary serving a
 * million active sessions takes ~17,000 single-row writes a second; batched, about a hundred
 * statements.
 *
 * A batch writes its earliest request time for every session in it, so a stored time is never
 * later than the activity it records (and is at most TOUCH_BATCH_MS early). The cached
 * `lastActiveAt` of each session moves with the write only when the whole batch was written;
 * when another instance or a logout got to some of its rows first, nothing moves and those
 * sessions ask again a minute later, as a single unwritten touch always did.
 */
export class ActivityWriter {
  private pending = new Map<string, CachedSession>();
  private at = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly minInterval: number,
    private readonly onError: (e: Error) => void,
  ) {}

  /** Queues `sessionId`'s touch at `now` (its request's time); `entry` follows the write. */
  touch(sessionId: string, now: number, entry: CachedSession): void {
    if (this.closed) return;
    this.pending.set(sessionId, entry);
    this.at = Math.min(this.at, now);
    if (this.pending.size >= TOUCH_BATCH_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), TOUCH_BATCH_MS).unref();
  }

  /** Writes what is queued now; resolves when every write started so far has settled. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size > 0) {
      const batch = this.pending;
      const at = this.at;
      this.pending = new Map();
      this.at = Infinity;
      const write = this.write(batch, at).finally(() => this.inFlight.delete(write));
      this.inFlight.add(write);
    }
    return Promise.all(this.inFlight).then(() => undefined);
  }

  /** Writes what is queued and takes no more (shutdown). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private async write(batch: Map<string, CachedSession>, at: number): Promise<void> {
    try {
      const wrote = await this.sessions.touchLastActive([...batch.keys()], at, this.minInterval);
      if (wrote === batch.size) for (const entry of batch.values()) entry.lastActiveAt = Math.max(entry.lastActiveAt, at);
    } catch (e) {
      this.onError(e as Error);
    }
  }
}
