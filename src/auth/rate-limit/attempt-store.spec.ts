import { FakeClock } from '../../../test/utils/fake-clock.js';
import { MemoryAttemptStore } from './attempt-store.js';

describe('MemoryAttemptStore', () => {
  it('counts in a window that opens with the first hit and closes after it', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryAttemptStore(clock);
    expect(await store.get('k')).toEqual({ count: 0, resetInMs: 0 });
    await store.hit('k', 60_000);
    clock.advance(10_000);
    expect(await store.hit('k', 60_000)).toEqual({ count: 2, resetInMs: 50_000 });
    clock.advance(50_000);
    expect(await store.get('k')).toEqual({ count: 0, resetInMs: 0 });
    expect(await store.hit('k', 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('keeps keys apart and resets one', async () => {
    const store = new MemoryAttemptStore(new FakeClock(1_000_000));
    await store.hit('a', 1000);
    await store.hit('b', 1000);
    await store.reset('a');
    expect((await store.get('a')).count).toBe(0);
    expect((await store.get('b')).count).toBe(1);
  });
});
