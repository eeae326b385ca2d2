import { cacheMode, LocalValidityCache, NoValidityCache } from './validity-cache.js';
import { type CachedSession, ValidityLru } from './validity-lru.js';
import type { AppConfig } from '../config/configuration.js';

const IDLE = 1_000;
const T0 = 1_700_000_000_000;
const entry = (userId = 'u1', over: Partial<CachedSession> = {}): CachedSession => ({
  userId,
  expiresAt: T0 + 10_000,
  lastActiveAt: T0,
  touchAskedAt: 0,
  ...over,
});

describe('ValidityLru', () => {
  let cache: ValidityLru;
  beforeEach(() => (cache = new ValidityLru(3)));

  it('answers a filled session for its own user only', () => {
    expect(cache.fill(cache.ticket(), 's1', entry())).toBe(true);
    expect(cache.get('s1', 'u1', T0, IDLE)).toMatchObject({ userId: 'u1' });
    expect(cache.get('s1', 'u2', T0, IDLE)).toBeUndefined();
    expect(cache.get('s2', 'u1', T0, IDLE)).toBeUndefined();
  });

  it('re-checks the absolute limit on every hit and drops the entry at it', () => {
    cache.fill(cache.ticket(), 's1', entry('u1', { expiresAt: T0 + 500 }));
    expect(cache.get('s1', 'u1', T0 + 499, IDLE)).toBeDefined();
    expect(cache.get('s1', 'u1', T0 + 500, IDLE)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('re-checks the idle limit on every hit', () => {
    cache.fill(cache.ticket(), 's1', entry());
    expect(cache.get('s1', 'u1', T0 + IDLE - 1, IDLE)).toBeDefined();
    expect(cache.get('s1', 'u1', T0 + IDLE, IDLE)).toBeUndefined();
  });

  it('refuses a fill whose lookup started before an eviction (the revocation race)', () => {
    const ticket = cache.ticket();
    cache.evict({ ids: ['s1'] });
    expect(cache.fill(ticket, 's1', entry())).toBe(false);
    expect(cache.get('s1', 'u1', T0, IDLE)).toBeUndefined();
    expect(cache.fill(cache.ticket(), 's1', entry())).toBe(true);
  });

  it('refuses a fill started before a clear', () => {
    const ticket = cache.ticket();
    cache.clear();
    expect(cache.fill(ticket, 's1', entry())).toBe(false);
  });

  it('evicts by ids', () => {
    cache.fill(cache.ticket(), 's1', entry());
    cache.fill(cache.ticket(), 's2', entry());
    cache.evict({ userId: 'u1', ids: ['s1'] });
    expect(cache.get('s1', 'u1', T0, IDLE)).toBeUndefined();
    expect(cache.get('s2', 'u1', T0, IDLE)).toBeDefined();
  });

  it('evicts every session of a user, and only theirs', () => {
    cache.fill(cache.ticket(), 's1', entry('u1'));
    cache.fill(cache.ticket(), 's2', entry('u1'));
    cache.fill(cache.ticket(), 's3', entry('u2'));
    cache.evict({ userId: 'u1' });
    expect(cache.size).toBe(1);
    expect(cache.get('s3', 'u2', T0, IDLE)).toBeDefined();
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    for (const id of ['s1', 's2', 's3']) cache.fill(cache.ticket(), id, entry());
    cache.get('s1', 'u1', T0, IDLE);
    cache.fill(cache.ticket(), 's4', entry());
    expect(cache.size).toBe(3);
    expect(cache.get('s2', 'u1', T0, IDLE)).toBeUndefined();
    expect(cache.get('s1', 'u1', T0, IDLE)).toBeDefined();
    cache.evict({ userId: 'u1' });
    expect(cache.size).toBe(0);
  });

  it('replaces an entry filled twice without counting it twice', () => {
    cache.fill(cache.ticket(), 's1', entry('u1'));
    cache.fill(cache.ticket(), 's1', entry('u1', { lastActiveAt: T0 + 5 }));
    expect(cache.size).toBe(1);
    expect(cache.get('s1', 'u1', T0, IDLE)?.lastActiveAt).toBe(T0 + 5);
  });
});

describe('cacheMode', () => {
  const config = (cache: AppConfig['session']['cache'], db: 'sqlite' | 'mysql', redis?: string) =>
    ({ session: { cache }, redis: { url: redis }, database: { type: db } }) as Pick<
      AppConfig,
      'session' | 'database' | 'redis'
    >;

  it.each([
    ['auto', 'sqlite', undefined, 'local'],
    ['auto', 'mysql', undefined, 'off'],
    ['auto', 'mysql', 'redis://h:6379/3', 'redis'],
    ['auto', 'sqlite', 'redis://h:6379/3', 'redis'],
    ['local', 'mysql', undefined, 'local'],
    ['local', 'mysql', 'redis://h:6379/3', 'local'],
    ['off', 'sqlite', undefined, 'off'],
    ['off', 'mysql', 'redis://h:6379/3', 'off'],
  ] as const)('SESSION_CACHE=%s on %s with REDIS_URL=%s is %s', (cache, db, redis, mode) => {
    expect(cacheMode(config(cache, db, redis))).toBe(mode);
  });
});

describe('LocalValidityCache / NoValidityCache', () => {
  it('local: evicting returns with the entry gone', async () => {
    const local = new LocalValidityCache(10);
    local.fill(local.ticket(), 's1', entry());
    expect(local.lookup('s1', 'u1', T0, IDLE)).toBeDefined();
    await local.evict({ ids: ['s1'] }, true);
    expect(local.lookup('s1', 'u1', T0, IDLE)).toBeUndefined();
  });

  it('off: never answers from memory', () => {
    const off = new NoValidityCache();
    off.fill(off.ticket(), 's1', entry());
    expect(off.lookup('s1', 'u1', T0, IDLE)).toBeUndefined();
    expect(off.size).toBe(0);
  });
});
