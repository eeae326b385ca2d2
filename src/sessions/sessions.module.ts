import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { RoleResolver, RolesGuard } from '../common/guards/roles.guard.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { GeoLocator } from './geo-locator.js';
import { SessionEvents } from './session-events.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { SessionsSweeper } from './sessions.sweeper.js';

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
    { provide: GeoLocator, inject: [ConfigService], useFactory: (config: ConfigService<AppConfig, true>) => GeoLocator.open(config.get('geoip', { infer: true }).dbPath) },
  ],
  exports: [SessionsService],
})
export class SessionsModule {}
