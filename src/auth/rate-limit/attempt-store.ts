import type { Redis } from 'ioredis';
import type { Clock } from '../../common/clock.js';

export interface AttemptCount {
  count: number;
  /** Milliseconds until the window closes (0 when there is none). */
  resetInMs: number;
}

/**
 * Counts attempts per key in a fixed window that opens with the first. `hit` adds one and
 * answers the new count in one atomic step (N hits at once are N, each seeing its own count);
 * `release` takes one back, within the same window.
 */
export abstract class AttemptStore {
  abstract hit(key: string, windowMs: number): Promise<AttemptCount>;
  abstract release(key: string): Promise<void>;
}

/** One instance: a Map, on the injectable clock so tests move time. */
export class MemoryAttemptStore extends AttemptStore {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly clock: Clock) {
    super();
  }

  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt <= this.clock.now()) this.entries.delete(key);
    return this.entries.get(key);
  }

  private view(entry?: { count: number; resetAt: number }): AttemptCount {
    return entry ? { count: entry.count, resetInMs: entry.resetAt - this.clock.now() } : { count: 0, resetInMs: 0 };
  }

  async hit(key: string, windowMs: number): Promise<AttemptCount> {
    const entry = this.live(key) ?? { count: 0, resetAt: this.clock.now() + windowMs };
    entry.count += 1;
    this.entries.set(key, entry);
    if (this.entries.size > 100_000) this.prune();
    return this.view(entry);
  }

  async release(key: string): Promise<void> {
    const entry = this.live(key);
    if (entry) entry.count = Math.max(0, entry.count - 1);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(key);
  }
}

// INCR and the expiry of a new window in one step, so a crash between them cannot leave a counter that never expires.
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

// Never below zero, never re-creating an expired window (a plain DECR would make one without expiry).
const RELEASE = `if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
return 0`;

/** Several instances: counters in Redis, windows on Redis's clock. */
export class RedisAttemptStore extends AttemptStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'ds:attempts:',
  ) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<AttemptCount> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, this.prefix + key, windowMs)) as [number, number];
    return { count, resetInMs: Math.max(0, ttl) };
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.prefix + key);
  }
}
