import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthContext } from '../auth-context.js';

/** The authenticated user and session of this request. */
export const CurrentAuth = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthContext => ctx.switchToHttp().getRequest<{ user: AuthContext }>().user,
);
