/**
 * When a signing key signs, verifies and is published: the one home of those rules, pure over
 * the rows' times. A key signs from `activatesAt` until its successor activates (`retiresAt`);
 * it verifies, and stays in the JWKS, until the last token it could have signed has expired;
 * a revoked key does neither, at once. Only keys of the configured algorithm count.
 */
export interface KeyTimes {
  kid: string;
  generation: number;
  alg: string;
  activatesAt: number;
  retiresAt: number | null;
  revokedAt: number | null;
}

/**
 * Room for clocks of instances that disagree: an instance a little behind may still sign with
 * a key that has just retired elsewhere, and its tokens must verify everywhere.
 */
export const CLOCK_SKEW_MS = 60_000;

const DAY_MS = 86_400_000;

/**
 * The key that signs at `now`: activated, not retired, not revoked; the newest if several. When
 * none has activated by this instance's clock, one made to sign at once by an instance whose
 * clock is a little ahead (the first key, a revoked key's replacement) signs here too.
 */
export function signingKey<K extends KeyTimes>(keys: readonly K[], alg: string, now: number): K | undefined {
  let best: K | undefined;
  let early: K | undefined;
  for (const k of keys) {
    if (k.alg !== alg || k.revokedAt !== null || (k.retiresAt !== null && now >= k.retiresAt)) continue;
    if (k.activatesAt <= now) {
      if (!best || k.generation > best.generation) best = k;
    } else if (k.activatesAt <= now + CLOCK_SKEW_MS && (!early || k.generation < early.generation)) early = k;
  }
  return best ?? early;
}

/** Whether a token signed by `k` may still be live at `now` (and so `k` verifies and is published). */
export function verifies(k: KeyTimes, alg: string, now: number, accessTtlMs: number): boolean {
  return (
    k.alg === alg && k.revokedAt === null && (k.retiresAt === null || now < k.retiresAt + accessTtlMs + CLOCK_SKEW_MS)
  );
}

/** A key published ahead of its activation (not one signing early, see signingKey). */
export function pendingKey<K extends KeyTimes>(keys: readonly K[], alg: string, now: number): K | undefined {
  const signing = signingKey(keys, alg, now);
  return keys.find((k) => k !== signing && k.alg === alg && k.revokedAt === null && k.activatesAt > now);
}

/**
 * Whether a scheduled rotation should start: none is under way, and the signing key is old
 * enough that its successor, published `prepublishMs` ahead, activates when it turns
 * `rotationDays` old.
 */
export function rotationDue(
  keys: readonly KeyTimes[],
  alg: string,
  now: number,
  rotationDays: number,
  prepublishMs: number,
): boolean {
  if (rotationDays === 0 || pendingKey(keys, alg, now)) return false;
  const current = signingKey(keys, alg, now);
  return !current || now >= current.activatesAt + rotationDays * DAY_MS - prepublishMs;
}

/** The highest generation in use (0 for none): a new key takes the next one. */
export function lastGeneration(keys: readonly KeyTimes[]): number {
  return keys.reduce((max, k) => Math.max(max, k.generation), 0);
}
