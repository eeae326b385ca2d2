import { randomBytes } from 'node:crypto';
import { secretWeakness } from './secret-strength.js';

describe('secretWeakness (production JWT_SECRET)', () => {
  it.each([
    ['32 spaces', ' '.repeat(32), 'must not be blank'],
    ['tabs and newlines', '\t\n '.repeat(12), 'must not be blank'],
    ['one character repeated', 'a'.repeat(64), 'is one character repeated'],
    ['two characters', 'ab'.repeat(16) + 'ba'.repeat(8), 'has fewer than 8 distinct characters'],
    ['a short pattern repeated', 'abcdefgh'.repeat(8), 'is a short pattern repeated'],
    ['mostly one character', 'a'.repeat(40) + 'bcdefghij', 'has too little entropy'],
  ])('refuses %s', (_, secret, reason) => {
    expect(secretWeakness(secret)).toBe(reason);
  });

  it.each([
    ['32 random hex characters', () => randomBytes(16).toString('hex')],
    ['48 random bytes in base64', () => randomBytes(48).toString('base64')],
    ['the test suites’ secret', () => 'test-secret-that-is-long-enough-for-production-use'],
  ])('accepts %s', (_, make) => {
    for (let i = 0; i < 200; i++) expect(secretWeakness(make())).toBeUndefined();
  });
});
