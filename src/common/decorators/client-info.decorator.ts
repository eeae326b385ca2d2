import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export interface ClientInfo {
  userAgent?: string;
  /** Fastify's request.ip: the socket address, or the address the nearest untrusted hop reported (TRUST_PROXY). */
  ip?: string;
}

export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientInfo => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const ua = req.headers['user-agent'];
  return { userAgent: typeof ua === 'string' ? ua : undefined, ip: req.ip };
});
