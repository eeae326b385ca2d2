// (c) The baseline users would pick instead: NestJS + Fastify + passport-jwt, same route, no session lookup.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';

class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: createSecretKey(Buffer.from(process.env.JWT_SECRET, 'utf8')),
      algorithms: ['HS256'],
      issuer: 'device-sessions',
      audience: 'device-sessions',
    });
  }
  validate(payload) {
    return { userId: payload.sub, sessionId: payload.sid };
  }
}
Injectable()(JwtStrategy);

class MeController {
  me(req) {
    return { user: { id: req.user.userId }, session: { id: req.user.sessionId } };
  }
}
// Decorators applied by hand: this file is plain JavaScript.
Req()(MeController.prototype, 'me', 0);
UseGuards(AuthGuard('jwt'))(MeController.prototype, 'me', Object.getOwnPropertyDescriptor(MeController.prototype, 'me'));
Get('me')(MeController.prototype, 'me', Object.getOwnPropertyDescriptor(MeController.prototype, 'me'));
Controller('v1/auth')(MeController);

class BenchModule {}
Module({ imports: [PassportModule], controllers: [MeController], providers: [JwtStrategy] })(BenchModule);

const app = await NestFactory.create(BenchModule, new FastifyAdapter(), { logger: ['error'] });
// (c+headers): the same response headers as src/app.factory.ts (security headers, X-Request-Id).
if (process.env.BENCH_HEADERS === '1') {
  const { registerResponseHeaders } = await import('../dist/src/common/security-headers.js');
  registerResponseHeaders(app.getHttpAdapter().getInstance());
}
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
