import type { SessionStore } from './session-store.js';
import { TOUCH_BATCH_MAX } from './sessions.sql.js';
import type { CachedSession } from './validity-lru.js';

/** How long a touch may wait for others to share its UPDATE. */
export const TOUCH_BATCH_MS = 200;

/**
 * Writes sessions' `last_active_at` behind the requests, in batches: the touches asked within
 * TOUCH_BATCH_MS (at most TOUCH_BATCH_MAX of them) go to the database as one
 * `UPDATE … WHERE id IN (…)`. With one touch per live session per minute, a primary serving a
 * million active sessions takes ~17,000 single-row writes a second; batched, under a hundred
 * statements.
 *
 * A batch stores its earliest request time for every session in it, so a stored time is never
 * later than the activity it records (and at most TOUCH_BATCH_MS early). Each session asked
 * because its stored time was a minute older than its request, so the batch writes the rows
 * stored a minute before its *latest* request: every session that asked, and none that another
 * instance wrote within the minute. The cached `lastActiveAt` follows what was stored
 * (SessionStore.recordActivity).
 *
 * A touch from another address than the session's last carries it (`movedTo`): once the batch is
 * written, `onMoved` records where the session has been (SessionLocations), so that write too
 * happens at most once a minute per session.
 *
 * Once closed (shutdown), a touch is written at once: requests still in flight keep theirs.
 */
export class ActivityWriter {
  private pending = new Map<string, CachedSession>();
  private moves = new Map<string, { userId: string; ip: string }>();
  private earliest = Infinity;
  private latest = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: SessionStore,
    private readonly minInterval: number,
    private readonly onError: (e: Error) => void,
    private readonly onMoved: (userId: string, sessionId: string, ip: string, at: number) => Promise<void> = () =>
      Promise.resolve(),
  ) {}

  /** Queues `sessionId`'s touch at `now` (its request's time); `entry` follows the write. */
  touch(sessionId: string, now: number, entry: CachedSession, movedTo?: string): void {
    this.pending.set(sessionId, entry);
    if (movedTo !== undefined) this.moves.set(sessionId, { userId: entry.userId, ip: movedTo });
    this.earliest = Math.min(this.earliest, now);
    this.latest = Math.max(this.latest, now);
    if (this.closed || this.pending.size >= TOUCH_BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), TOUCH_BATCH_MS).unref();
  }

  /** Writes what is queued now; resolves when every write started so far has settled. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size > 0) {
      // Never below a stored time: nothing stored at or after `earliest` is written (clocks can step).
      const writtenBefore = Math.min(this.latest - this.minInterval, this.earliest - 1);
      const write = this.write(this.pending, this.moves, this.earliest, writtenBefore).finally(() =>
        this.inFlight.delete(write),
      );
      this.inFlight.add(write);
      this.pending = new Map();
      this.moves = new Map();
      this.earliest = Infinity;
      this.latest = -Infinity;
    }
    return Promise.all(this.inFlight).then(() => undefined);
  }

  /** Shutdown: writes what is queued; later touches are written at once. */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private async write(
    batch: Map<string, CachedSession>,
    moves: Map<string, { userId: string; ip: string }>,
    at: number,
    writtenBefore: number,
  ): Promise<void> {
    try {
      await this.store.recordActivity(batch, at, writtenBefore);
    } catch (e) {
      this.onError(e as Error);
    }
    for (const [sessionId, { userId, ip }] of moves)
      await this.onMoved(userId, sessionId, ip, at).catch((e: Error) => this.onError(e));
  }
}
