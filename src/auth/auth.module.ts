import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { AuditModule } from '../audit/audit.module.js';
import { Clock } from '../common/clock.js';
import { RoleResolver, RolesGuard } from '../common/guards/roles.guard.js';
import type { AppConfig } from '../config/configuration.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { MailModule } from '../mail/mail.module.js';
import { AccountController } from './account.controller.js';
import { AccountMail } from './account-mail.js';
import { AccountsService } from './accounts.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AccountSecurityController } from './account-security.controller.js';
import { AccountSecurityService } from './account-security.service.js';
import { AuthController } from './auth.controller.js';
import { Credentials } from './credentials.js';
import { LinkTokens } from './link-tokens.js';
import { LinkTokensRepository } from './link-tokens.repository.js';
import { LinkTokensSweeper } from './link-tokens.sweeper.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LoginAttempts } from './login-attempts.js';
import { OAuthClientGuard } from './oauth/oauth-clients.guard.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { OAuthService } from './oauth/oauth.service.js';
import { PasswordController } from './password.controller.js';
import { AttemptStore, MemoryAttemptStore, RedisAttemptStore } from './rate-limit/attempt-store.js';
import { RATE_LIMIT_REDIS, RateLimitRedisCloser, rateLimitRedisProvider } from './rate-limit/redis.provider.js';
import { RedisThrottlerStorage } from './rate-limit/redis-throttler.storage.js';

/** Rate-limit counters live in Redis when REDIS_URL is set (limits hold across instances), else in memory. */
@Module({
  providers: [
    rateLimitRedisProvider,
    RateLimitRedisCloser,
    {
      provide: AttemptStore,
      inject: [RATE_LIMIT_REDIS, Clock],
      useFactory: (redis: Redis | null, clock: Clock) =>
        redis ? new RedisAttemptStore(redis) : new MemoryAttemptStore(clock),
    },
  ],
  exports: [RATE_LIMIT_REDIS, AttemptStore],
})
class RateLimitModule {}

@Module({
  imports: [
    UsersModule,
    SessionsModule,
    AuditModule,
    MailModule,
    PassportModule,
    RateLimitModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitModule],
      inject: [ConfigService, RATE_LIMIT_REDIS],
      useFactory: (config: ConfigService<AppConfig, true>, redis: Redis | null) => {
        const auth = config.get('auth', { infer: true });
        return {
          throttlers: [{ name: 'default', ttl: auth.rateLimitWindow * 1000, limit: auth.rateLimitPerIp }],
          ...(redis ? { storage: new RedisThrottlerStorage(redis) } : {}),
        };
      },
    }),
  ],
  controllers: [
    AuthController,
    PasswordController,
    AccountSecurityController,
    AccountController,
    AdminUsersController,
    OAuthController,
  ],
  providers: [
    AuthService,
    JwtStrategy,
    LoginAttempts,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    AccountSecurityService,
    AccountsService,
    RolesGuard,
    { provide: RoleResolver, useExisting: UsersService },
    AccountMail,
    Credentials,
    LinkTokens,
    LinkTokensRepository,
    LinkTokensSweeper,
    OAuthService,
    OAuthClientGuard,
  ],
})
export class AuthModule {}
