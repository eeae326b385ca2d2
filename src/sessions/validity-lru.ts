import { expiredAt } from './session-policy.js';

/** What the per-request check needs to accept a session without reading the database. */
export interface CachedSession {
  userId: string;
  expiresAt: number;
  /** A value the database held; never ahead of it, so a cached idle limit is never later than the stored one. */
  lastActiveAt: number;
  /** When this process last asked the database to touch the row (throttles the touch on hits). */
  touchAskedAt: number;
  /** The row's last address when read: a touch from another one moves it (SessionLocations). Absent: unknown. */
  lastIp?: string | null;
  /**
   * GET /v1/auth/me's JSON before and after `lastActiveAt`, the one field that moves while the
   * session lives; set by the first such request. A session's other fields never change, and a
   * profile change or email verification evicts the user's sessions like a revocation.
   */
  me?: [head: string, tail: string];
  /** When `me` was rendered: a change made in another process (`npm run admin`) evicts nothing here (ME_MAX_AGE_MS). */
  meAt?: number;
}

/** Which sessions a revocation ended: some ids of a user, or every session of the user. */
export interface EvictTarget {
  userId?: string;
  ids?: string[];
}

/**
 * Bounded LRU of "session S of user U is valid, with these time limits". Only positive
 * answers are cached; anything in doubt (absent, other user, past a time limit) goes to the
 * database. Every eviction advances an epoch, and a fill is refused unless the epoch is the
 * one seen when its lookup started: a lookup that read the row before a revocation
 * committed can never re-insert it afterwards.
 */
export class ValidityLru {
  private readonly entries = new Map<string, CachedSession>();
  private readonly byUser = new Map<string, Set<string>>();
  private epoch = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry when it belongs to `userId` and is within its absolute and idle limits at `now`. */
  get(id: string, userId: string, now: number, idleMs: number): CachedSession | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.userId !== userId) return undefined;
    if (expiredAt(entry, now, idleMs) !== null) {
      this.remove(id);
      return undefined;
    }
    // Map iteration order is insertion order: re-inserting marks it most recently used.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  /** Taken before the database read whose answer may fill the cache. */
  ticket(): number {
    return this.epoch;
  }

  /** Stores a session read under `ticket`; refused when anything was evicted since. */
  fill(ticket: number, id: string, session: CachedSession): boolean {
    if (ticket !== this.epoch) return false;
    this.remove(id);
    if (this.entries.size >= this.capacity) this.remove(this.entries.keys().next().value as string);
    this.entries.set(id, session);
    let ids = this.byUser.get(session.userId);
    if (!ids) this.byUser.set(session.userId, (ids = new Set()));
    ids.add(id);
    return true;
  }

  evict(target: EvictTarget): void {
    this.epoch += 1;
    for (const id of target.ids ?? []) this.remove(id);
    if (target.userId && !target.ids) for (const id of [...(this.byUser.get(target.userId) ?? [])]) this.remove(id);
  }

  /** Forgets everything (the instance may have missed evictions). */
  clear(): void {
    this.epoch += 1;
    this.entries.clear();
    this.byUser.clear();
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const ids = this.byUser.get(entry.userId);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(entry.userId);
  }
}
