import { ActivityWriter, TOUCH_BATCH_MS } from './activity-writer.js';
import type { CachedSession } from './session-cache.js';
import { SessionsRepository, TOUCH_BATCH_MAX } from './sessions.repository.js';

const MIN = 60_000;
const entry = (lastActiveAt = 0): CachedSession => ({ userId: 'u', expiresAt: Number.MAX_SAFE_INTEGER, lastActiveAt, touchAskedAt: 0 });

describe('ActivityWriter (batched last_active_at writes)', () => {
  let touchLastActive: jest.Mock<Promise<number>, [string[], number, number]>;
  let errors: Error[];
  let writer: ActivityWriter;

  beforeEach(() => {
    jest.useFakeTimers();
    touchLastActive = jest.fn((ids: string[]) => Promise.resolve(ids.length));
    errors = [];
    writer = new ActivityWriter({ touchLastActive } as unknown as SessionsRepository, MIN, (e) => errors.push(e));
  });
  afterEach(() => jest.useRealTimers());

  it('writes the touches of one window in one statement, with the earliest request time', async () => {
    const a = entry(1), b = entry(2);
    writer.touch('a', 1_000_050, a);
    writer.touch('b', 1_000_000, b);
    expect(touchLastActive).not.toHaveBeenCalled();
    jest.advanceTimersByTime(TOUCH_BATCH_MS);
    await writer.flush();
    expect(touchLastActive).toHaveBeenCalledTimes(1);
    expect(touchLastActive).toHaveBeenCalledWith(['a', 'b'], 1_000_000, MIN);
    expect([a.lastActiveAt, b.lastActiveAt]).toEqual([1_000_000, 1_000_000]);
  });

  it('starts a new window after a write', async () => {
    writer.touch('a', 10, entry());
    await writer.flush();
    writer.touch('b', 20, entry());
    jest.advanceTimersByTime(TOUCH_BATCH_MS);
    await writer.flush();
    expect(touchLastActive.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      [['a'], 10],
      [['b'], 20],
    ]);
  });

  it(`writes at once when ${TOUCH_BATCH_MAX} touches are queued`, async () => {
    for (let i = 0; i < TOUCH_BATCH_MAX + 1; i++) writer.touch(`s${i}`, 5, entry());
    expect(touchLastActive).toHaveBeenCalledTimes(1);
    expect(touchLastActive.mock.calls[0][0]).toHaveLength(TOUCH_BATCH_MAX);
    await writer.flush();
    expect(touchLastActive.mock.calls[1][0]).toEqual([`s${TOUCH_BATCH_MAX}`]);
  });

  it('moves no cached time when only part of the batch was written', async () => {
    touchLastActive.mockResolvedValueOnce(1);
    const a = entry(1), b = entry(2);
    writer.touch('a', 100, a);
    writer.touch('b', 100, b);
    await writer.flush();
    expect([a.lastActiveAt, b.lastActiveAt]).toEqual([1, 2]);
  });

  it('never moves a cached time backwards', async () => {
    const a = entry(500);
    writer.touch('a', 100, a);
    await writer.flush();
    expect(a.lastActiveAt).toBe(500);
  });

  it('reports a failed write and keeps going', async () => {
    touchLastActive.mockRejectedValueOnce(new Error('lock wait timeout'));
    const a = entry(1);
    writer.touch('a', 100, a);
    await expect(writer.flush()).resolves.toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['lock wait timeout']);
    expect(a.lastActiveAt).toBe(1);
    writer.touch('a', 200, a);
    await writer.flush();
    expect(a.lastActiveAt).toBe(200);
  });

  it('flush waits for a write already under way', async () => {
    let release!: (n: number) => void;
    touchLastActive.mockImplementationOnce(() => new Promise<number>((r) => (release = r)));
    const a = entry(1);
    writer.touch('a', 100, a);
    const first = writer.flush();
    let settled = false;
    const second = writer.flush().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release(1);
    await Promise.all([first, second]);
    expect(a.lastActiveAt).toBe(100);
  });

  it('close writes what is queued and takes no more', async () => {
    writer.touch('a', 100, entry());
    await writer.close();
    writer.touch('b', 200, entry());
    jest.advanceTimersByTime(TOUCH_BATCH_MS);
    await writer.flush();
    expect(touchLastActive.mock.calls.map((c) => c[0])).toEqual([['a']]);
  });
});
