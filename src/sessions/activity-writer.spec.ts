import { ActivityWriter, TOUCH_BATCH_MS } from './activity-writer.js';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import type { AfterCommit } from '../database/after-commit.js';
import type { TransactionRunner } from '../database/transaction-runner.js';
import type { SessionEndingsLog } from './session-endings.js';
import { SessionStore } from './session-store.js';
import type { SessionsRepository } from './sessions.repository.js';
import { TOUCH_BATCH_MAX } from './sessions.sql.js';
import { NoValidityCache } from './validity-cache.js';
import type { CachedSession } from './validity-lru.js';

const MIN = 60_000;
const T = 10_000_000;
const entry = (lastActiveAt = 0): CachedSession => ({
  userId: 'u',
  expiresAt: Number.MAX_SAFE_INTEGER,
  lastActiveAt,
  touchAskedAt: 0,
});

describe('ActivityWriter (batched last_active_at writes)', () => {
  let repo: {
    touchLastActive: jest.Mock<Promise<number>, [string[], number, number]>;
    lastActiveAt: jest.Mock<Promise<Map<string, number>>, [string[]]>;
  };
  let errors: Error[];
  let writer: ActivityWriter;

  beforeEach(() => {
    jest.useFakeTimers();
    repo = {
      touchLastActive: jest.fn((ids: string[], _at: number, _writtenBefore: number) => Promise.resolve(ids.length)),
      lastActiveAt: jest.fn(),
    };
    errors = [];
    const config = { get: () => ({ idleTtl: 3600 }) } as unknown as ConfigService<AppConfig, true>;
    const store = new SessionStore(
      repo as unknown as SessionsRepository,
      new NoValidityCache(),
      {} as AfterCommit,
      {} as TransactionRunner,
      {} as SessionEndingsLog,
      config,
    );
    writer = new ActivityWriter(store, MIN, (e) => errors.push(e));
  });
  afterEach(() => jest.useRealTimers());

  it(
    `writes the touches of one ${TOUCH_BATCH_MS}-ms window in one statement, storing the earliest ` + 'request time',
    async () => {
      const a = entry(T - MIN),
        b = entry(T + 50 - MIN);
      writer.touch('a', T, a);
      writer.touch('b', T + 50, b);
      jest.advanceTimersByTime(TOUCH_BATCH_MS - 1);
      expect(repo.touchLastActive).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(repo.touchLastActive).toHaveBeenCalledTimes(1);
      // Rows stored a minute before the latest request: b asked at T + 50 because its row was from T + 50 − 60 s.
      expect(repo.touchLastActive).toHaveBeenCalledWith(['a', 'b'], T, T + 50 - MIN);
      await writer.flush();
      expect([a.lastActiveAt, b.lastActiveAt]).toEqual([T, T]);
      expect(repo.lastActiveAt).not.toHaveBeenCalled();
    },
  );

  it('never writes over a time stored at or after the batch time, even when the clock jumps', () => {
    writer.touch('a', T, entry());
    writer.touch('b', T + 2 * MIN, entry());
    jest.advanceTimersByTime(TOUCH_BATCH_MS);
    expect(repo.touchLastActive).toHaveBeenCalledWith(['a', 'b'], T, T - 1);
  });

  it('starts a new window after a write', async () => {
    writer.touch('a', T, entry());
    await writer.flush();
    writer.touch('b', T + 300, entry());
    jest.advanceTimersByTime(TOUCH_BATCH_MS);
    expect(repo.touchLastActive.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      [['a'], T],
      [['b'], T + 300],
    ]);
  });

  it(`writes at once when ${TOUCH_BATCH_MAX} touches are queued`, async () => {
    for (let i = 0; i < TOUCH_BATCH_MAX + 1; i++) writer.touch(`s${i}`, T, entry());
    expect(repo.touchLastActive).toHaveBeenCalledTimes(1);
    expect(repo.touchLastActive.mock.calls[0][0]).toHaveLength(TOUCH_BATCH_MAX);
    await writer.flush();
    expect(repo.touchLastActive.mock.calls[1][0]).toEqual([`s${TOUCH_BATCH_MAX}`]);
  });

  it('reads the rows back when only part of the batch was written, and the cache follows them', async () => {
    repo.touchLastActive.mockResolvedValueOnce(1);
    repo.lastActiveAt.mockResolvedValueOnce(
      new Map([
        ['a', T],
        ['b', T + 20],
      ]),
    ); // b: written meanwhile by another instance
    const a = entry(1),
      b = entry(2),
      gone = entry(3);
    writer.touch('a', T, a);
    writer.touch('b', T, b);
    writer.touch('gone', T, gone);
    await writer.flush();
    expect(repo.lastActiveAt).toHaveBeenCalledWith(['a', 'b', 'gone']);
    expect([a.lastActiveAt, b.lastActiveAt, gone.lastActiveAt]).toEqual([T, T + 20, 3]);
  });

  it('never moves a cached time backwards', async () => {
    const a = entry(T + 500);
    writer.touch('a', T, a);
    await writer.flush();
    expect(a.lastActiveAt).toBe(T + 500);
  });

  it('reports a failed write and keeps going', async () => {
    repo.touchLastActive.mockRejectedValueOnce(new Error('lock wait timeout'));
    const a = entry(1);
    writer.touch('a', T, a);
    await expect(writer.flush()).resolves.toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['lock wait timeout']);
    expect(a.lastActiveAt).toBe(1);
    writer.touch('a', T + MIN, a);
    await writer.flush();
    expect(a.lastActiveAt).toBe(T + MIN);
  });

  it('flush waits for a write already under way', async () => {
    let release!: (n: number) => void;
    repo.touchLastActive.mockImplementationOnce(() => new Promise<number>((r) => (release = r)));
    const a = entry(1);
    writer.touch('a', T, a);
    const first = writer.flush();
    let settled = false;
    const second = writer.flush().then(() => (settled = true));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(settled).toBe(false);
    expect(a.lastActiveAt).toBe(1);
    release(1);
    await Promise.all([first, second]);
    expect(a.lastActiveAt).toBe(T);
  });

  it('close writes what is queued, and later touches (requests still in flight) at once', async () => {
    writer.touch('a', T, entry());
    await writer.close();
    expect(repo.touchLastActive.mock.calls.map((c) => c[0])).toEqual([['a']]);
    writer.touch('b', T + 10, entry());
    expect(repo.touchLastActive.mock.calls.map((c) => c[0])).toEqual([['a'], ['b']]);
  });

  it('moves the sessions touched from another address once their batch is written, errors logged', async () => {
    const moved: [string, string, string, number][] = [];
    const store = (writer as unknown as { store: SessionStore }).store;
    writer = new ActivityWriter(
      store,
      MIN,
      (e) => errors.push(e),
      (userId, id, ip, at) => {
        moved.push([userId, id, ip, at]);
        return id === 'c' ? Promise.reject(new Error('db away')) : Promise.resolve();
      },
    );
    writer.touch('a', T, entry(), '198.51.100.1');
    writer.touch('b', T + 10, entry());
    writer.touch('c', T + 20, entry(), '198.51.100.2');
    expect(moved).toEqual([]);
    await writer.flush();
    expect(repo.touchLastActive).toHaveBeenCalledTimes(1);
    expect(moved).toEqual([
      ['u', 'a', '198.51.100.1', T],
      ['u', 'c', '198.51.100.2', T],
    ]);
    expect(errors.map((e) => e.message)).toEqual(['db away']);
    writer.touch('a', T + MIN, entry());
    await writer.flush();
    expect(moved).toHaveLength(2);
  });
});
