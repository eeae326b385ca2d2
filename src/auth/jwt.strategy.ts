import { Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { AuthContext } from '../common/auth-context.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { SessionsService } from '../sessions/sessions.service.js';

const MAX_TOKEN_LENGTH = 4096;
const BEARER = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** `Authorization: Bearer <jwt>` only (scheme case-insensitive); never a query parameter. */
export function bearerToken(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + 16) return null;
  return BEARER.exec(header.trim())?.[1] ?? null;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    super({
      jwtFromRequest: bearerToken,
      // A KeyObject, not a string: jsonwebtoken would first try to parse a string as a PEM key.
      secretOrKey: auth.jwtKey as unknown as string,
      algorithms: ['HS256'],
      issuer: auth.issuer,
      audience: auth.audience,
      // `exp` is checked in validate() against the injectable clock.
      ignoreExpiration: true,
    });
  }

  async validate(payload: unknown): Promise<AuthContext> {
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    if (typeof p.sub !== 'string' || typeof p.sid !== 'string' || typeof p.exp !== 'number') throw new UnauthorizedException('Malformed token');
    if (p.exp * 1000 <= this.clock.now()) throw new UnauthorizedException('Token expired');
    return this.sessions.validate(p.sub, p.sid);
  }
}
