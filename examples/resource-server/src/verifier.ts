import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { EndedSessions } from './ended-sessions.js';

/** Who a request is, once its access token passed. */
export interface Caller {
  userId: string;
  sessionId: string;
}

/** A refusal, with the status to answer (401: the token; 503: the issuer cannot be asked). */
export class Refusal extends Error {
  constructor(
    readonly status: 401 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the issuer's tokens look like: the asymmetric algorithms device-sessions signs with. */
export const ALGORITHMS = ['ES256', 'EdDSA'];

export interface IssuerConfig {
  /** device-sessions' JWT_ISSUER (the `iss` of its tokens and SETs). */
  issuer: string;
  /** device-sessions' JWT_AUDIENCE (the `aud` of its access tokens). */
  audience: string;
  /** Its JWKS: `<base URL>/.well-known/jwks.json`. */
  jwksUrl: string;
}

export type JwksKeys = ReturnType<typeof createRemoteJWKSet>;

/**
 * Local verification: the signature against the issuer's JWKS (fetched once, refetched for an
 * unknown `kid`, at most every 30 s), RFC 9068's `typ: at+jwt`, issuer, audience and expiry —
 * then the session, against the ended sessions the issuer pushed. No call to the issuer per
 * request; a revocation takes effect here once its SET arrived.
 */
export class LocalVerifier {
  constructor(
    private readonly keys: JwksKeys,
    private readonly config: IssuerConfig,
    private readonly ended: EndedSessions | null,
  ) {}

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: ALGORITHMS,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub', 'sid'],
      }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout) throw new Refusal(503, 'issuer_unavailable', 'JWKS unreachable');
      const expired = e instanceof errors.JWTExpired;
      throw new Refusal(401, expired ? 'token_expired' : 'token_invalid', expired ? 'Token expired' : 'Invalid token');
    }
    const caller = { userId: String(payload.sub), sessionId: String(payload.sid) };
    if (this.ended?.hasEnded(caller.sessionId)) throw new Refusal(401, 'session_ended', 'Session has ended');
    return caller;
  }
}

export interface IntrospectionConfig {
  /** `<base URL>/v1/oauth/introspect` */
  url: string;
  clientId: string;
  clientSecret: string;
  /** How long an active answer may be reused; 0 (the default): one call per request, exact. */
  cacheMs?: number;
  timeoutMs?: number;
}

/**
 * Exact verification: asks the issuer (RFC 7662) on every request — or, with `cacheMs`, once per
 * token and period, which bounds how long a revoked session is still let through. A call that
 * fails is a 503, never a pass.
 */
export class IntrospectionVerifier {
  private readonly authorization: string;
  private readonly cache = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly config: IntrospectionConfig,
    private readonly now: () => number = Date.now,
  ) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they go into the Basic header.
    const pair = `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }

  async verify(token: string): Promise<Caller> {
    const cacheMs = this.config.cacheMs ?? 0;
    const hit = cacheMs > 0 ? this.cache.get(token) : undefined;
    if (hit && hit.until > this.now()) return hit.caller;
    let answer: { active?: unknown; token_type?: unknown; sub?: unknown; sid?: unknown; exp?: unknown };
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 2000),
      });
      if (res.status !== 200) throw new Error(`introspection answered ${res.status}`);
      answer = (await res.json()) as typeof answer;
    } catch {
      throw new Refusal(503, 'issuer_unavailable', 'Token introspection unavailable');
    }
    if (answer.active !== true || answer.token_type !== 'access_token')
      throw new Refusal(401, 'token_inactive', 'Token is not active');
    const caller = { userId: String(answer.sub), sessionId: String(answer.sid) };
    if (cacheMs > 0) {
      const exp = typeof answer.exp === 'number' ? answer.exp * 1000 : 0;
      this.cache.set(token, { caller, until: Math.min(this.now() + cacheMs, exp) });
      if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    }
    return caller;
  }
}
