import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import type { AppConfig } from '../config/configuration.js';
import { RoleResolver, RolesGuard } from '../common/guards/roles.guard.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { KeysModule } from '../keys/keys.module.js';
import {
  AccessTokenSigner,
  AccessTokenVerifier,
  HmacAccessTokenSigner,
  KeyedAccessTokenSigner,
} from './access-token-signer.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { GeoLocator } from './geo-locator.js';
import { RefreshCookie } from './refresh-cookie.js';
import { RefreshRotation } from './refresh-rotation.js';
import { RefreshTokenCodec } from './refresh-token.js';
import { SessionCheck } from './session-check.js';
import { SessionEndingsLog } from './session-endings.js';
import { SessionEvents } from './session-events.js';
import { SessionLocations } from './session-locations.js';
import { SessionStore } from './session-store.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { SessionsSweeper } from './sessions.sweeper.js';
import { cacheMode, LocalValidityCache, NoValidityCache, ValidityCache } from './validity-cache.js';
import { RedisValidityCache } from './validity-cache.redis.js';

function validityCache(config: ConfigService<AppConfig, true>, endings: SessionEndingsLog): ValidityCache {
  const session = config.get('session', { infer: true });
  const redis = config.get('redis', { infer: true });
  switch (cacheMode({ session, redis, database: config.get('database', { infer: true }) })) {
    case 'redis':
      return new RedisValidityCache({
        url: redis.url!,
        capacity: session.cacheSize,
        leaseMs: session.cacheLeaseMs,
        endings,
      });
    case 'local':
      if (session.cache === 'local')
        new Logger('ValidityCache').warn(
          'SESSION_CACHE=local: revocations evict this process only; run exactly one instance',
        );
      return new LocalValidityCache(session.cacheSize);
    default:
      return new NoValidityCache();
  }
}

@Module({
  imports: [
    UsersModule,
    OutboxModule,
    KeysModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({ secret: config.get('auth', { infer: true }).jwtKey }),
    }),
  ],
  controllers: [SessionsController, AdminSessionsController],
  providers: [
    SessionCheck,
    RefreshRotation,
    RefreshCookie,
    SessionsService,
    SessionsRepository,
    SessionEvents,
    SessionsSweeper,
    RolesGuard,
    { provide: RoleResolver, useExisting: UsersService },
    {
      provide: GeoLocator,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        GeoLocator.open(config.get('geoip', { infer: true }).dbPath),
    },
    SessionStore,
    SessionLocations,
    {
      provide: RefreshTokenCodec,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new RefreshTokenCodec(config.get('auth', { infer: true }).refreshKey),
    },
    HmacAccessTokenSigner,
    KeyedAccessTokenSigner,
    {
      provide: AccessTokenSigner,
      inject: [ConfigService, HmacAccessTokenSigner, KeyedAccessTokenSigner],
      useFactory: (config: ConfigService<AppConfig, true>, hmac: AccessTokenSigner, keyed: AccessTokenSigner) =>
        config.get('keys', { infer: true }).algorithm === 'HS256' ? hmac : keyed,
    },
    AccessTokenVerifier,
    SessionEndingsLog,
    { provide: ValidityCache, inject: [ConfigService, SessionEndingsLog], useFactory: validityCache },
  ],
  exports: [SessionCheck, RefreshRotation, RefreshCookie, SessionsService, AccessTokenVerifier],
})
export class SessionsModule {}
