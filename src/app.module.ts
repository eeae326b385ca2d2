import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module.js';
import { Clock, SystemClock } from './common/clock.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { UsersModule } from './users/users.module.js';

export interface AppModuleOptions {
  /** Already-validated configuration; defaults to loadConfig(process.env). */
  config?: AppConfig;
  clock?: Clock;
  /** The cron sweep; tests call the sweep directly instead. */
  schedule?: boolean;
}

/** The clock every module injects (the admin CLI's module uses it too). */
@Global()
@Module({})
export class CoreModule {
  static register(clock: Clock): DynamicModule {
    return { module: CoreModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig();
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        CoreModule.register(options.clock ?? new SystemClock()),
        EventEmitterModule.forRoot({ wildcard: true }),
        ...(options.schedule === false ? [] : [ScheduleModule.forRoot()]),
        DatabaseModule,
        UsersModule,
        SessionsModule,
        AuthModule,
        HealthModule,
        EventsModule,
      ],
    };
  }
}
