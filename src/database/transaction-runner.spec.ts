import { QueryFailedError } from 'typeorm';
import { retryLockConflicts, TX_ATTEMPTS } from './transaction-runner.js';

/** A lock conflict as TypeORM hands it on from mysql2. */
const conflict = (code: string, errno: number) =>
  new QueryFailedError(
    'UPDATE users SET name = ? WHERE id = ?',
    ['secret', 'u1'],
    Object.assign(new Error(code), { code, errno }),
  );

describe('retryLockConflicts', () => {
  const noWait = jest.fn(() => Promise.resolve());
  beforeEach(() => noWait.mockClear());

  it.each([
    ['ER_LOCK_DEADLOCK', 1213],
    ['ER_LOCK_WAIT_TIMEOUT', 1205],
  ])('runs the work again after %s, with a pause before each retry', async (code, errno) => {
    let calls = 0;
    const work = () => (++calls < 3 ? Promise.reject(conflict(code, errno)) : Promise.resolve('done'));
    await expect(retryLockConflicts(work, TX_ATTEMPTS, noWait)).resolves.toBe('done');
    expect(calls).toBe(3);
    expect(noWait).toHaveBeenCalledTimes(2);
    for (const [ms] of noWait.mock.calls as unknown as [number][]) expect(ms).toBeGreaterThan(0);
  });

  it(`gives up after ${TX_ATTEMPTS} attempts and throws the last conflict as it is`, async () => {
    const last = conflict('ER_LOCK_DEADLOCK', 1213);
    let calls = 0;
    const work = () => Promise.reject(++calls === TX_ATTEMPTS ? last : conflict('ER_LOCK_DEADLOCK', 1213));
    await expect(retryLockConflicts(work, TX_ATTEMPTS, noWait)).rejects.toBe(last);
    expect(calls).toBe(TX_ATTEMPTS);
  });

  it('throws any other error at once', async () => {
    const other = conflict('ER_DUP_ENTRY', 1062);
    const work = jest.fn(() => Promise.reject(other));
    await expect(retryLockConflicts(work, TX_ATTEMPTS, noWait)).rejects.toBe(other);
    expect(work).toHaveBeenCalledTimes(1);
    expect(noWait).not.toHaveBeenCalled();
  });
});
