import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import type { TokenPairResponse } from './dto/token-pair.response.js';

/**
 * `__Host-`: the browser keeps it only when it is Secure, has Path=/ and no Domain, so no
 * subdomain and no plain-http page can set or shadow it.
 */
export const REFRESH_COOKIE = '__Host-ds_refresh';
export const CSRF_HEADER = 'x-csrf-protection';

/** Where a refresh token travels: in the JSON body (the default) or in the refresh cookie. */
export type RefreshTokenIn = 'body' | 'cookie';
export const REFRESH_TOKEN_IN: readonly RefreshTokenIn[] = ['body', 'cookie'];

/** A pair just issued, with the moment its refresh token dies (the session's absolute expiry, ms). */
export interface IssuedPair {
  pair: TokenPairResponse;
  expiresAt: number;
}

/** The refresh token a refresh presents, and where it came from. */
export interface PresentedRefresh {
  token: string;
  from: RefreshTokenIn;
}

const COOKIE_ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

/**
 * The refresh token as a cookie (SPEC "Browser apps"): how it is set, read, refused without
 * the CSRF defence, and cleared. The cookie authenticates POST /v1/auth/refresh only; every
 * other route reads the bearer access token alone (JwtStrategy), so no other route can be
 * driven by a cross-site request that carries it.
 */
@Injectable()
export class RefreshCookie {
  /** PUBLIC_URL's origin and CORS_ORIGINS: the pages whose requests may spend the cookie. */
  private readonly origins: ReadonlySet<string>;

  constructor(
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const app = config.get('app', { infer: true });
    this.origins = new Set([new URL(app.publicUrl).origin, ...app.corsOrigins]);
  }

  /**
   * The token of a refresh: the body's when it has one, else the cookie's — which only a request
   * sent with `X-CSRF-Protection: 1` (a header a cross-site page cannot add without a preflight
   * that CORS refuses it) and, when it names one, an Origin of ours may spend. Checked before
   * anything is read or rotated, so a refused request changes nothing.
   */
  presented(request: FastifyRequest, bodyToken: string | undefined): PresentedRefresh {
    if (bodyToken !== undefined) return { token: bodyToken, from: 'body' };
    const header = request.headers.cookie;
    const token = header ? request.server.parseCookie(header)[REFRESH_COOKIE] : undefined;
    if (!token)
      throw apiError(401, 'refresh_invalid', `No refresh token: send refreshToken, or the ${REFRESH_COOKIE} cookie`);
    if (request.headers[CSRF_HEADER] !== '1')
      throw apiError(403, 'csrf_rejected', 'A refresh with the cookie needs the header X-CSRF-Protection: 1');
    const origin = request.headers.origin;
    if (origin !== undefined && !this.origins.has(origin))
      throw apiError(403, 'csrf_rejected', 'A refresh with the cookie is refused from this Origin');
    return { token, from: 'cookie' };
  }

  /**
   * The body of a login or refresh answer. In cookie mode the refresh token leaves the body and
   * becomes the cookie, living as long as the session may (Max-Age to its absolute expiry).
   */
  deliver(reply: FastifyReply, issued: IssuedPair, into: RefreshTokenIn = 'body'): TokenPairResponse {
    if (into === 'body') return issued.pair;
    const { refreshToken, ...body } = issued.pair;
    const maxAge = Math.max(0, Math.floor((issued.expiresAt - this.clock.now()) / 1000));
    reply.setCookie(REFRESH_COOKIE, refreshToken!, { ...COOKIE_ATTRIBUTES, maxAge });
    return body;
  }

  /**
   * After the current session ended by its own request (logout, its own DELETE, scope=all): the
   * cookie goes, with the attributes it was set with (a browser refuses a `__Host-` cookie
   * without them, the clearing one included), and Clear-Site-Data asks the browser to drop every
   * cookie of this site as well.
   */
  clear(reply: FastifyReply): void {
    this.forget(reply);
    reply.header('Clear-Site-Data', '"cookies"');
  }

  /** Drops the cookie alone (a refresh through it answered 401: it can renew nothing any more). */
  forget(reply: FastifyReply): void {
    reply.clearCookie(REFRESH_COOKIE, COOKIE_ATTRIBUTES);
  }
}
