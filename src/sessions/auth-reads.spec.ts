import { AuthReads } from './auth-reads.js';
import { AUTH_READS_MAX, AUTH_SQL, authSqlMany } from './sessions.sql.js';

type Row = Record<string, unknown>;

describe('AuthReads (coalesced per-request session reads)', () => {
  const rows: Record<string, Row> = {
    s1: { id: 's1', user_id: 'u1' },
    s2: { id: 's2', user_id: 'u2' },
    s3: { id: 's3', user_id: 'u3' },
  };
  let execute: jest.Mock<Promise<Row[]>, [string, string[]]>;
  let reads: AuthReads;

  beforeEach(() => {
    // A database holding rows s1..s3: answers both statement shapes by (id, user) pairs.
    execute = jest.fn((_sql: string, params: string[]) => {
      const found: Row[] = [];
      for (let i = 0; i < params.length; i += 2) {
        const row = rows[params[i]];
        if (row && row.user_id === params[i + 1] && !found.includes(row)) found.push(row);
      }
      return Promise.resolve(found);
    });
    reads = new AuthReads(execute);
  });

  it('a read asked alone runs the single-row statement', async () => {
    await expect(reads.read('s1', 'u1')).resolves.toBe(rows.s1);
    expect(execute).toHaveBeenCalledWith(AUTH_SQL, ['s1', 'u1']);
  });

  it('reads asked in one turn share one statement, padded to a power of two, and each gets its own row', async () => {
    const answers = await Promise.all([
      reads.read('s1', 'u1'),
      reads.read('s2', 'u2'),
      reads.read('s3', 'someone-else'),
      reads.read('nope', 'u1'),
      reads.read('s2', 'u2'),
    ]);
    expect(answers).toEqual([rows.s1, rows.s2, undefined, undefined, rows.s2]);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(execute).toHaveBeenCalledWith(authSqlMany(8), [
      's1',
      'u1',
      's2',
      'u2',
      's3',
      'someone-else',
      'nope',
      'u1',
      's2',
      'u2',
      's2',
      'u2',
      's2',
      'u2',
      's2',
      'u2',
    ]);
  });

  it('never hands a row to a read of another user of the same session id', async () => {
    // Even from a statement that matched on the id alone.
    execute.mockResolvedValueOnce([rows.s1]);
    const [theirs, forged] = await Promise.all([reads.read('s1', 'u1'), reads.read('s1', 'u2')]);
    expect(theirs).toBe(rows.s1);
    expect(forged).toBeUndefined();
  });

  it('a read asked while a statement is under way gets a statement of its own, never that earlier answer', async () => {
    let release!: (rows: Row[]) => void;
    execute.mockImplementationOnce(() => new Promise<Row[]>((r) => (release = r)));
    const first = reads.read('s1', 'u1');
    await new Promise((r) => setImmediate(r)); // the first statement is out
    const second = reads.read('s1', 'u1');
    await new Promise((r) => setImmediate(r));
    expect(execute).toHaveBeenCalledTimes(2);
    release([{ id: 's1', user_id: 'u1', stale: true }]);
    await expect(first).resolves.toEqual({ id: 's1', user_id: 'u1', stale: true });
    await expect(second).resolves.toBe(rows.s1);
  });

  it('reads in separate turns run separately', async () => {
    await reads.read('s1', 'u1');
    await reads.read('s2', 'u2');
    expect(execute.mock.calls.map(([sql]) => sql)).toEqual([AUTH_SQL, AUTH_SQL]);
  });

  it(`splits a turn's reads into statements of at most ${AUTH_READS_MAX}`, async () => {
    const all = await Promise.all(Array.from({ length: AUTH_READS_MAX + 1 }, () => reads.read('s1', 'u1')));
    expect(all.every((r) => r === rows.s1)).toBe(true);
    expect(execute.mock.calls.map(([sql, params]) => [sql, params.length])).toEqual([
      [authSqlMany(AUTH_READS_MAX), 2 * AUTH_READS_MAX],
      [AUTH_SQL, 2],
    ]);
  });

  it('fails every read of a statement that fails, and the next turn reads again', async () => {
    execute.mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
    const failed = await Promise.allSettled([reads.read('s1', 'u1'), reads.read('s2', 'u2')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error('connect ECONNREFUSED'));
    await expect(reads.read('s1', 'u1')).resolves.toBe(rows.s1);
  });
});
