import { CLOCK_SKEW_MS, type KeyTimes, pendingKey, rotationDue, signingKey, verifies } from './key-policy.js';

const T = 1_700_000_000_000;
const DAY = 86_400_000;
const TTL = 900_000;
const key = (generation: number, activatesAt: number, more: Partial<KeyTimes> = {}): KeyTimes => ({
  kid: `k${generation}`,
  generation,
  alg: 'ES256',
  activatesAt,
  retiresAt: null,
  revokedAt: null,
  ...more,
});

describe('key policy', () => {
  it('signs with the newest activated key; a prepublished one waits for its time', () => {
    const keys = [key(1, T, { retiresAt: T + 3_600_000 }), key(2, T + 3_600_000)];
    expect(signingKey(keys, 'ES256', T + 1000)?.kid).toBe('k1');
    expect(pendingKey(keys, 'ES256', T + 1000)?.kid).toBe('k2');
    expect(signingKey(keys, 'ES256', T + 3_600_000)?.kid).toBe('k2');
    expect(pendingKey(keys, 'ES256', T + 3_600_000)).toBeUndefined();
  });

  it('never signs with a revoked key or one of another algorithm', () => {
    expect(signingKey([key(1, T, { revokedAt: T + 1 })], 'ES256', T + 2)).toBeUndefined();
    expect(signingKey([key(1, T)], 'EdDSA', T + 2)).toBeUndefined();
  });

  it('signs with a key made a little ahead by another clock when nothing else can sign', () => {
    expect(signingKey([key(1, T + 500)], 'ES256', T)?.kid).toBe('k1');
    expect(pendingKey([key(1, T + 500)], 'ES256', T)).toBeUndefined();
    expect(signingKey([key(1, T + CLOCK_SKEW_MS + 1)], 'ES256', T)).toBeUndefined();
  });

  it('a retired key verifies until its last token expired (plus clock skew); a revoked one never', () => {
    const retired = key(1, T, { retiresAt: T + DAY });
    expect(verifies(retired, 'ES256', T + DAY + TTL + CLOCK_SKEW_MS - 1, TTL)).toBe(true);
    expect(verifies(retired, 'ES256', T + DAY + TTL + CLOCK_SKEW_MS, TTL)).toBe(false);
    expect(verifies(key(1, T, { revokedAt: T }), 'ES256', T, TTL)).toBe(false);
    expect(verifies(key(1, T), 'EdDSA', T, TTL)).toBe(false);
  });

  it('starts a rotation so that the new key signs when the old one turns JWT_KEY_ROTATION_DAYS old', () => {
    const keys = [key(1, T)];
    expect(rotationDue(keys, 'ES256', T + 30 * DAY - 3_600_001, 30, 3_600_000)).toBe(false);
    expect(rotationDue(keys, 'ES256', T + 30 * DAY - 3_600_000, 30, 3_600_000)).toBe(true);
    expect(rotationDue(keys, 'ES256', T + 300 * DAY, 0, 3_600_000)).toBe(false);
    const underWay = [key(1, T, { retiresAt: T + 30 * DAY }), key(2, T + 30 * DAY)];
    expect(rotationDue(underWay, 'ES256', T + 30 * DAY - 1000, 30, 3_600_000)).toBe(false);
  });
});
