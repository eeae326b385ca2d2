/**
 * The one form of an email address the service stores, looks up, counts failures under and
 * keeps unique: NFKC (full-width letters, ligatures and decomposed accents become the plain
 * characters people mean), trimmed, lower-cased. Every comparison after this is byte-exact, on
 * both databases (MySQL's email column is utf8mb4_bin), so a database collation never decides
 * that two different strings are one address, nor that two spellings of one address are two.
 * NFKC runs again after lower-casing, which can produce a sequence NFKC would rewrite, so the
 * result is a fixed point: normalizing twice changes nothing.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}
