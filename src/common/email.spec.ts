import { normalizeEmail } from './email.js';

describe('normalizeEmail', () => {
  it.each([
    ['upper case and spaces', '  Ada@Example.COM ', 'ada@example.com'],
    ['full-width letters and signs', 'ＡＤＡ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'ada@example.com'],
    ['a decomposed accent', 'jose\u0301@example.com', 'jos\u00e9@example.com'],
    ['a ligature', 'ﬁona@example.com', 'fiona@example.com'],
    ['an ideographic space', '\u3000ada@example.com', 'ada@example.com'],
  ])('maps %s to one form', (_, input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it('keeps different addresses apart (no accent folding)', () => {
    expect(normalizeEmail('josé@example.com')).not.toBe(normalizeEmail('jose@example.com'));
  });

  it.each(['İstanbul@example.com', 'ẞ@example.com', 'Ω@example.com', 'ǅ@example.com', 'Ⅻ@example.com'])(
    'is a fixed point for %s: normalizing twice changes nothing',
    (input) => {
      const once = normalizeEmail(input);
      expect(normalizeEmail(once)).toBe(once);
    },
  );
});
