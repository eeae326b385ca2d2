// (c) The baseline users would pick instead: NestJS + Fastify + passport-jwt, same route, no session lookup.
// It answers GET /v1/auth/me with a body of the same shape and size as ours (BENCH_ME_SAMPLE, one of our
// real answers), filled from the token's claims as a stateless service would, so both serialise alike.
// (c+ops), BENCH_OPS=1: the same app run to our operational standard — our security headers and
// X-Request-Id, our request logging (pino through Fastify, LOG_LEVEL) — so the session check is the only difference.
// (c es256), BENCH_JWK: verifies ES256 tokens with that public key (a JWKS entry) instead of HS256 under JWT_SECRET;
// passport-jwt's jsonwebtoken has no EdDSA, so there is no stateless EdDSA row.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createPublicKey, createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';

const sample = JSON.parse(process.env.BENCH_ME_SAMPLE ?? '{"user":{},"session":{}}');
const ops = process.env.BENCH_OPS === '1';
const jwk = process.env.BENCH_JWK ? JSON.parse(process.env.BENCH_JWK) : null;

class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: jwk
        ? createPublicKey({ key: jwk, format: 'jwk' })
        : createSecretKey(Buffer.from(process.env.JWT_SECRET, 'utf8')),
      algorithms: [jwk ? jwk.alg : 'HS256'],
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
    return { user: { ...sample.user, id: req.user.userId }, session: { ...sample.session, id: req.user.sessionId } };
  }
}
// Decorators applied by hand: this file is plain JavaScript.
Req()(MeController.prototype, 'me', 0);
UseGuards(AuthGuard('jwt'))(
  MeController.prototype,
  'me',
  Object.getOwnPropertyDescriptor(MeController.prototype, 'me'),
);
Get('me')(MeController.prototype, 'me', Object.getOwnPropertyDescriptor(MeController.prototype, 'me'));
Controller('v1/auth')(MeController);

class BenchModule {}
Module({ imports: [PassportModule], controllers: [MeController], providers: [JwtStrategy] })(BenchModule);

let adapterOptions = {};
let registerResponseHeaders = () => {};
if (ops) {
  const { createLogger, fastifyLogging } = await import('../dist/src/common/logging.js');
  const { loadConfig } = await import('../dist/src/config/configuration.js');
  ({ registerResponseHeaders } = await import('../dist/src/common/security-headers.js'));
  const logger = createLogger(
    loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', JWT_SECRET: process.env.JWT_SECRET }),
  );
  adapterOptions = fastifyLogging(logger);
}
const app = await NestFactory.create(BenchModule, new FastifyAdapter(adapterOptions), { logger: ['error'] });
registerResponseHeaders(app.getHttpAdapter().getInstance());
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
