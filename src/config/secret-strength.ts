/**
 * The least Shannon estimate (bits) a production JWT_SECRET may have. 32 random hex characters give
 * about 115 on average but dip to about 91 (200,000 draws): 96 refused one in ~7,000 good secrets.
 */
const MIN_ESTIMATED_BITS = 88;
const MIN_DISTINCT = 8;

/**
 * Why `secret` is too weak to sign with in production, or undefined. A length rule alone let
 * 32 spaces or `aaaa…` through. The estimate is the string's own character entropy (Shannon, from
 * its character frequencies) times its length: it cannot see a dictionary word, but it refuses
 * blank, one-character, few-character and repeated-pattern secrets, and anything with less
 * spread than a short random string.
 */
export function secretWeakness(secret: string): string | undefined {
  const chars = [...secret];
  if (secret.trim() === '') return 'must not be blank';
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  if (counts.size === 1) return 'is one character repeated';
  if (counts.size < MIN_DISTINCT) return `has fewer than ${MIN_DISTINCT} distinct characters`;
  for (let period = 1; period <= chars.length / 2; period++)
    if (chars.length % period === 0 && secret === secret.slice(0, period).repeat(chars.length / period))
      return 'is a short pattern repeated';
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  if (perChar * chars.length < MIN_ESTIMATED_BITS) return 'has too little entropy';
  return undefined;
}
