import { apiError } from '../common/api-error.js';
import { HttpException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { CheckedSession } from '../sessions/checked-session.js';
import { Clock } from '../common/clock.js';
import { noteClaimedSession } from '../common/logging.js';
import type { AppConfig } from '../config/configuration.js';
import { AccessTokenVerifier } from '../sessions/access-token-signer.js';
import { SessionCheck } from '../sessions/session-check.js';
import { VerifiedClaims, VerifiedTokens } from './verified-tokens.js';

const MAX_TOKEN_LENGTH = 4096;
const BEARER = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

type Headers = { headers: Record<string, string | string[] | undefined>; ip?: string };

/** `Authorization: Bearer <jwt>` only (scheme case-insensitive); never a query parameter. */
export function bearerToken(req: Headers): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + 16) return null;
  return BEARER.exec(header.trim())?.[1] ?? null;
}

/**
 * Whether the token's payload is a JSON object. jsonwebtoken reads `payload.nbf` before anything
 * checks the payload's type, so a correctly signed `null` payload threw a TypeError (a 500) out
 * of passport-jwt; such a token is refused here first.
 */
function payloadIsObject(token: string): boolean {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload);
  } catch {
    return false;
  }
}

/** What Passport adds to a strategy for the length of one authenticate() call. */
interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(err: unknown): void;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verified: VerifiedTokens;

  constructor(
    private readonly sessions: SessionCheck,
    private readonly clock: Clock,
    private readonly keyed: AccessTokenVerifier,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    super({
      jwtFromRequest: bearerToken,
      // HS256 only (JWT_ALGORITHM=HS256): ES256/EdDSA tokens go to AccessTokenVerifier instead.
      // A KeyObject, not a string: jsonwebtoken would first try to parse a string as a PEM key.
      secretOrKey: auth.jwtKey as unknown as string,
      algorithms: ['HS256'],
      issuer: auth.issuer,
      audience: auth.audience,
      // `exp` is checked in check() against the injectable clock, on every request.
      ignoreExpiration: true,
      passReqToCallback: true,
    });
    this.verified = new VerifiedTokens(config.get('session', { infer: true }).cacheSize, () => clock.now());
  }

  /**
   * The strategy's one door. A token not verified yet: passport-jwt's flow (extract, verify,
   * validate) under HS256, AccessTokenVerifier under ES256/EdDSA. A token verified before goes
   * straight to the per-request check once its key is still trusted. The outcomes are the same
   * either way: success, or the error (a 401 or 503) through the guard.
   */
  override authenticate(req: Headers, options?: unknown): void {
    const token = bearerToken(req);
    const claims = token === null ? undefined : this.verified.get(token);
    const passport = this as unknown as PassportActions;
    if (!claims) {
      if (token !== null && !payloadIsObject(token))
        return passport.error(apiError(401, 'token_invalid', 'Malformed token'));
      if (!this.keyed.keyed) return super.authenticate(req as never, options);
      if (token === null) return passport.error(apiError(401, 'token_missing', 'Missing bearer token'));
      return this.settle(
        passport,
        this.keyed.verify(token).then((verified) => {
          this.verified.add(token, verified, this.clock.now());
          return this.check(req, verified);
        }),
      );
    }
    if (claims.kid !== undefined && !this.keyed.trusts(claims.kid))
      return passport.error(apiError(401, 'token_invalid', 'Invalid token'));
    this.settle(passport, this.check(req, claims));
  }

  private settle(passport: PassportActions, outcome: Promise<CheckedSession>): void {
    outcome
      .then(
        (auth) => passport.success(auth),
        (e: unknown) => passport.error(e),
      )
      .catch((e: unknown) => passport.error(e));
  }

  /**
   * The per-request check for a token that came without a request (introspection, revocation):
   * this strategy run exactly as passport runs it for a request carrying the token as its bearer
   * — the same verification, the same verified-token and session caches, the same check. The
   * live session, or null when the token is refused (a 401 of any kind); a 503 is thrown.
   */
  checkToken(token: string): Promise<CheckedSession | null> {
    return new Promise((resolve, fail) => {
      const reject = (e: unknown) => fail(e instanceof Error ? e : new Error(String(e)));
      // As passport's middleware does: a fresh object per call, holding that call's actions.
      const run = Object.create(this) as this & PassportActions;
      run.success = (auth) => resolve(auth as CheckedSession);
      run.fail = () => resolve(null);
      run.error = (e) => (e instanceof HttpException && e.getStatus() === 401 ? resolve(null) : reject(e));
      try {
        run.authenticate({ headers: { authorization: `Bearer ${token}` } });
      } catch (e) {
        reject(e);
      }
    });
  }

  /** passport-jwt's verify callback: the token's signature, algorithm, issuer and audience passed. */
  async validate(req: Headers, payload: unknown): Promise<CheckedSession> {
    const claims = (typeof payload === 'object' && payload !== null ? payload : {}) as VerifiedClaims;
    const token = bearerToken(req);
    if (token !== null) this.verified.add(token, claims, this.clock.now());
    return this.check(req, claims);
  }

  /**
   * Every request: the claims' shape, `exp`, then the session. A refusal of a well-formed token
   * names its user and session on the request's access line.
   */
  private async check(req: Headers, p: VerifiedClaims): Promise<CheckedSession> {
    if (typeof p.sub !== 'string' || typeof p.sid !== 'string' || typeof p.exp !== 'number')
      throw apiError(401, 'token_invalid', 'Malformed token');
    try {
      if (p.exp * 1000 <= this.clock.now()) throw apiError(401, 'token_expired', 'Token expired');
      return await this.sessions.validate(p.sub, p.sid, req.ip);
    } catch (e) {
      noteClaimedSession(req, { userId: p.sub, sessionId: p.sid });
      throw e;
    }
  }
}
