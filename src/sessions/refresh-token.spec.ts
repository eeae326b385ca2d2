import { RefreshTokenCodec } from './refresh-token.js';

describe('RefreshTokenCodec', () => {
  const codec = new RefreshTokenCodec(Buffer.alloc(32, 7));
  const sid = '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b';
  const seed = 'a'.repeat(64);

  it('derives the same token for a generation, a different one for the next', () => {
    expect(codec.issue(sid, 1, seed)).toBe(codec.issue(sid, 1, seed));
    expect(codec.issue(sid, 2, seed)).not.toBe(codec.issue(sid, 1, seed));
    expect(codec.issue(sid, 1, seed)).toMatch(/^[0-9a-f-]{36}\.1\.[A-Za-z0-9_-]{43}$/);
  });

  it('verifies its own tokens and nothing else', () => {
    const parsed = codec.parse(codec.issue(sid, 5, seed))!;
    expect(parsed).toMatchObject({ sessionId: sid, generation: 5 });
    expect(codec.verify(parsed, seed)).toBe(true);
    expect(codec.verify(parsed, 'b'.repeat(64))).toBe(false);
    expect(new RefreshTokenCodec(Buffer.alloc(32, 8)).verify(parsed, seed)).toBe(false);
    expect(codec.verify({ ...parsed, generation: 6 }, seed)).toBe(false);
  });

  it.each([
    '',
    'abc',
    `${sid}.1`,
    `${sid}.x.${'A'.repeat(43)}`,
    `${sid}.1.${'A'.repeat(42)}`,
    `${sid}.1234567890.${'A'.repeat(43)}`,
  ])('rejects the malformed %p', (token) => {
    expect(codec.parse(token)).toBeNull();
  });

  it('has one spelling per token: no leading zero, no other last character that decodes alike', () => {
    const token = codec.issue(sid, 1, seed);
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = B64URL.indexOf(token.at(-1)!);
    const others = [1, 2, 3].map((low) => token.slice(0, -1) + B64URL[last | low]);
    for (const other of others) {
      // The same MAC bytes: only the format refuses it.
      expect(Buffer.from(other.split('.')[2], 'base64url')).toEqual(codec.parse(token)!.mac);
      expect(codec.parse(other)).toBeNull();
    }
    expect(codec.parse(token.replace('.1.', '.01.'))).toBeNull();
    expect(codec.parse(codec.issue(sid, 0, seed))).toMatchObject({ generation: 0 });
    expect(codec.parse(codec.issue(sid, 10, seed))).toMatchObject({ generation: 10 });
  });

  it('hashes with SHA-256', () => {
    expect(RefreshTokenCodec.hash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
