import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { RoleResolver, RolesGuard } from '../common/guards/roles.guard.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { GeoLocator } from './geo-locator.js';
import { SessionEvents } from './session-events.js';
import { AfterCommit } from './after-commit.js';
import { cacheMode, LocalSessionInvalidation, NoSessionCache, SessionInvalidation } from './session-invalidation.js';
import { RedisSessionInvalidation } from './session-invalidation.redis.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { SessionsSweeper } from './sessions.sweeper.js';

function sessionInvalidation(config: ConfigService<AppConfig, true>): SessionInvalidation {
  const session = config.get('session', { infer: true });
  const redis = config.get('redis', { infer: true });
  switch (cacheMode({ session, redis, database: config.get('database', { infer: true }) })) {
    case 'redis':
      return new RedisSessionInvalidation({
        url: redis.url!,
        capacity: session.cacheSize,
        leaseMs: session.cacheLeaseMs,
      });
    case 'local':
      if (session.cache === 'local')
        new Logger('SessionInvalidation').warn(
          'SESSION_CACHE=local: revocations evict this process only; run exactly one instance',
        );
      return new LocalSessionInvalidation(session.cacheSize);
    default:
      return new NoSessionCache();
  }
}

@Module({
  imports: [UsersModule],
  controllers: [SessionsController, AdminSessionsController],
  providers: [
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
    AfterCommit,
    { provide: SessionInvalidation, inject: [ConfigService], useFactory: sessionInvalidation },
  ],
  exports: [SessionsService],
})
export class SessionsModule {}
