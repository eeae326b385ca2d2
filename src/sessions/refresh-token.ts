import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a token pair is signed from: one generation of one session. */
export interface IssuedSession {
  sessionId: string;
  userId: string;
  generation: number;
  refreshToken: string;
  /** When this generation was issued (ms); the access token's `iat`, so a re-issued pair is identical. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Refresh tokens are `<sessionId>.<generation>.<mac>`, where mac = HMAC-SHA256(server key,
 * sessionId.generation.seed) and the seed is 256 random bits kept with the session.
 * The database never holds a token (only the seed and the SHA-256 of the current token),
 * a token cannot be forged without the server key, and the current token can be re-derived,
 * which is what lets the reuse-grace answer return the session's *current* pair.
 */
export interface ParsedRefreshToken {
  sessionId: string;
  generation: number;
}

// One spelling per token: the generation without leading zeros, and the MAC's canonical base64url (43
// characters carry 258 bits for its 256, so the last one's two low bits must be zero), else the same token
// would have other spellings that verify.
const FORMAT =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(0|[1-9]\d{0,8})\.([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])$/;

export class RefreshTokenCodec {
  constructor(private readonly key: Buffer) {}

  private mac(sessionId: string, generation: number, seed: string): Buffer {
    return createHmac('sha256', this.key).update(`${sessionId}.${generation}.${seed}`).digest();
  }

  issue(sessionId: string, generation: number, seed: string): string {
    return `${sessionId}.${generation}.${this.mac(sessionId, generation, seed).toString('base64url')}`;
  }

  parse(token: string): (ParsedRefreshToken & { mac: Buffer }) | null {
    const m = FORMAT.exec(token);
    return m ? { sessionId: m[1], generation: Number(m[2]), mac: Buffer.from(m[3], 'base64url') } : null;
  }

  /** True when the token was issued by us for this session seed (constant time). */
  verify(parsed: ParsedRefreshToken & { mac: Buffer }, seed: string): boolean {
    const expected = this.mac(parsed.sessionId, parsed.generation, seed);
    return parsed.mac.length === expected.length && timingSafeEqual(parsed.mac, expected);
  }

  /** Generation `generation` of session `s`, issued at `issuedAt`: everything its pair derives from. */
  issued(
    s: { id: string; userId: string; refreshSeed: string; expiresAt: number },
    generation: number,
    issuedAt: number,
  ): IssuedSession {
    const refreshToken = this.issue(s.id, generation, s.refreshSeed);
    return { sessionId: s.id, userId: s.userId, generation, refreshToken, issuedAt, expiresAt: s.expiresAt };
  }

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
