import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { apiError } from '../common/api-error.js';
import { IS_PUBLIC } from '../common/decorators/public.decorator.js';

/** Global: every route needs a live session unless it is marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (open) return true;
    return super.canActivate(context);
  }

  /**
   * passport-jwt fails without an error of ours when there is no bearer token (no `info`, or
   * "No auth token") or when it refused the token (jsonwebtoken's error in `info`); the session
   * check's own errors (401 with their code, 503) pass through as they are.
   */
  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err) throw err instanceof Error ? err : apiError(401, 'token_invalid', 'Invalid token');
    if (user) return user;
    const missing = !info || (info instanceof Error && info.message === 'No auth token');
    throw missing
      ? apiError(401, 'token_missing', 'Missing bearer token')
      : apiError(401, 'token_invalid', 'Invalid token');
  }
}
