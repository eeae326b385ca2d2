import { VerifiedTokens } from './verified-tokens.js';

const T0 = 1_700_000_000_000;
const claims = (exp: unknown, extra: Record<string, unknown> = {}) => ({ sub: 'u1', sid: 's1', exp, ...extra });

describe('VerifiedTokens', () => {
  let now: number;
  let tokens: VerifiedTokens;
  beforeEach(() => {
    now = T0;
    tokens = new VerifiedTokens(2, () => now);
  });

  it('answers a remembered token with its claims, and nothing for any other string', () => {
    tokens.add('a.b.c', claims(T0 / 1000 + 60), now);
    expect(tokens.get('a.b.c')).toEqual({ sub: 'u1', sid: 's1', exp: T0 / 1000 + 60 });
    expect(tokens.get('a.b.C')).toBeUndefined();
    expect(tokens.get('a.b.')).toBeUndefined();
  });

  it('keeps only the claims the check reads', () => {
    tokens.add('a.b.c', claims(T0 / 1000 + 60, { iss: 'x', jti: 'j', roles: ['admin'], kid: 'k1' }), now);
    expect(tokens.get('a.b.c')).toEqual({
      sub: expect.anything(),
      sid: expect.anything(),
      exp: T0 / 1000 + 60,
      kid: 'k1',
    });
  });

  it('drops a token at its exp', () => {
    tokens.add('a.b.c', claims(T0 / 1000 + 60), now);
    now = T0 + 59_999;
    expect(tokens.get('a.b.c')).toBeDefined();
    now = T0 + 60_001;
    expect(tokens.get('a.b.c')).toBeUndefined();
  });

  it.each([
    ['without exp', undefined],
    ['with exp as a string', String(T0 / 1000 + 60)],
    ['already expired', T0 / 1000],
  ])('does not keep a token %s', (_, exp) => {
    tokens.add('a.b.c', claims(exp), now);
    expect(tokens.get('a.b.c')).toBeUndefined();
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const exp = T0 / 1000 + 60;
    tokens.add('t1', claims(exp), now);
    tokens.add('t2', claims(exp), now);
    tokens.get('t1');
    tokens.add('t3', claims(exp), now);
    expect([tokens.get('t1'), tokens.get('t2'), tokens.get('t3')].map(Boolean)).toEqual([true, false, true]);
  });
});
