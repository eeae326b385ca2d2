import { apiError } from '../api-error.js';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ROLES } from '../decorators/roles.decorator.js';
import type { AuthContext } from '../auth-context.js';

/** Resolves the roles of a user id; provided by the users module. */
export abstract class RoleResolver {
  abstract rolesOf(userId: string): Promise<string[]>;
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly roles: RoleResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const auth = context.switchToHttp().getRequest<{ user?: AuthContext }>().user;
    const held = auth ? await this.roles.rolesOf(auth.userId) : [];
    if (!required.every((r) => held.includes(r)))
      throw apiError(403, 'forbidden', `Requires role: ${required.join(', ')}`);
    return true;
  }
}
