import { jsonDepthExceeds, parseForm } from './json-body.js';

describe('jsonDepthExceeds', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('counts the top-level object or array as level 1', () => {
    expect(jsonDepthExceeds('{}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":[]}', 1)).toBe(true);
    expect(jsonDepthExceeds(deep(32), 32)).toBe(false);
    expect(jsonDepthExceeds(deep(33), 32)).toBe(true);
    expect(jsonDepthExceeds('"a string"', 0)).toBe(false);
  });

  it('measures the deepest point, not the total', () => {
    expect(jsonDepthExceeds(`[${Array(100).fill(deep(31)).join(',')}]`, 32)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[[[', b: '"\\"[[[[' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify(['\\', [[]]]), 2)).toBe(true);
  });

  it('stops at the limit without recursion, however deep the text', () => {
    expect(jsonDepthExceeds('['.repeat(1_000_000), 32)).toBe(true);
  });
});

describe('parseForm', () => {
  const fields = ['token', 'token_type_hint'];

  it('keeps the fields the route reads, decoded, and ignores the rest', () => {
    expect(parseForm('token=a%2Bb+c&client_secret=x&__proto__=y&constructor=z', fields)).toEqual({ token: 'a+b c' });
    expect(Object.getPrototypeOf(parseForm('__proto__[token]=1', fields))).toBe(Object.prototype);
  });

  it('refuses a field given twice (RFC 6749 §3.1)', () => {
    expect(() => parseForm('token=a&token=b', fields)).toThrow('token must be given once');
  });

  it('reads brackets as part of a name: nothing nests', () => {
    expect(parseForm('token[a][b]=1', fields)).toEqual({});
    expect(parseForm('token=' + '['.repeat(10_000), fields)).toEqual({ token: '['.repeat(10_000) });
  });
});
