import type { AppConfig } from '../config/configuration.js';
import { type CachedSession, type EvictTarget, ValidityLru } from './validity-lru.js';

export type CacheMode = 'off' | 'local' | 'redis';

/**
 * The cache may be used only where revocation can be exact: one process evicting its own
 * cache (SQLite, or SESSION_CACHE=local), or several instances evicting each other over Redis.
 * MySQL without either has several possible instances and no way to tell them: no cache.
 */
export function cacheMode(config: Pick<AppConfig, 'session' | 'database' | 'redis'>): CacheMode {
  const setting = config.session.cache;
  if (setting === 'off') return 'off';
  if (setting === 'local') return 'local';
  if (config.redis.url) return 'redis';
  return config.database.type === 'sqlite' ? 'local' : 'off';
}

/**
 * The validity cache, in one of three forms: none (NoValidityCache), one process
 * (LocalValidityCache) or several instances told over Redis (RedisValidityCache). Only
 * SessionStore uses it: it reads through it and evicts after every ending commits.
 */
export abstract class ValidityCache {
  abstract readonly mode: CacheMode;

  /** A cached, time-valid entry, or undefined (no cache, no lease, absent, expired). */
  lookup(_id: string, _userId: string, _now: number, _idleMs: number): CachedSession | undefined {
    return undefined;
  }

  /** Taken before a database read; null when the answer must not be cached. */
  ticket(): number | null {
    return null;
  }

  fill(_ticket: number | null, _id: string, _session: CachedSession): void {}

  /**
   * Evicts the target everywhere. With `confirm`, resolves only once no instance can serve
   * it from a cache any more (revocations); without it, best effort (time-based expiry,
   * which the cache re-checks on every hit anyway).
   */
  abstract evict(target: EvictTarget, confirm: boolean): Promise<void>;

  /** Entries held here (diagnostics and tests). */
  get size(): number {
    return 0;
  }
}

export class NoValidityCache extends ValidityCache {
  readonly mode = 'off' as const;

  async evict(): Promise<void> {}
}

/** One process: evicting the in-process cache is the whole invalidation. */
export class LocalValidityCache extends ValidityCache {
  readonly mode: CacheMode = 'local';
  protected readonly cache: ValidityLru;

  constructor(capacity: number) {
    super();
    this.cache = new ValidityLru(capacity);
  }

  /** Whether this instance may serve from its cache right now. */
  protected usable(): boolean {
    return true;
  }

  override lookup(id: string, userId: string, now: number, idleMs: number): CachedSession | undefined {
    return this.usable() ? this.cache.get(id, userId, now, idleMs) : undefined;
  }

  override ticket(): number | null {
    return this.usable() ? this.cache.ticket() : null;
  }

  override fill(ticket: number | null, id: string, session: CachedSession): void {
    if (ticket !== null) this.cache.fill(ticket, id, session);
  }

  async evict(target: EvictTarget, _confirm: boolean): Promise<void> {
    this.cache.evict(target);
  }

  override get size(): number {
    return this.cache.size;
  }
}
