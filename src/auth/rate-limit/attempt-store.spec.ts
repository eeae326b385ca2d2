import { FakeClock } from '../../../test/utils/fake-clock.js';
import { MemoryAttemptStore } from './attempt-store.js';

describe('MemoryAttemptStore', () => {
  it('counts in a window that opens with the first hit and closes after it', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryAttemptStore(clock);
    expect(await store.hit('k', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
    clock.advance(10_000);
    expect(await store.hit('k', 60_000)).toEqual({ count: 2, resetInMs: 50_000 });
    clock.advance(50_000);
    expect(await store.hit('k', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('gives each of N hits at once its own count', async () => {
    const store = new MemoryAttemptStore(new FakeClock(1_000_000));
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.hit('k', 1000)));
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('takes one hit back on release, never below zero, and keeps keys apart', async () => {
    const store = new MemoryAttemptStore(new FakeClock(1_000_000));
    await store.hit('a', 1000);
    await store.hit('a', 1000);
    await store.hit('b', 1000);
    await store.release('a');
    await store.release('c');
    expect((await store.hit('a', 1000)).count).toBe(2);
    expect((await store.hit('b', 1000)).count).toBe(2);
    for (let i = 0; i < 5; i++) await store.release('b');
    expect((await store.hit('b', 1000)).count).toBe(1);
  });
});
