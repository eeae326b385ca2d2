import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CoreModule } from './app.module.js';
import { SystemClock } from './common/clock.js';
import { safeErrorMessage } from './common/logging.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';
import { DatabaseModule } from './database/database.module.js';
import { UsersModule } from './users/users.module.js';
import { UsersService } from './users/users.service.js';

const USAGE = 'usage: npm run admin -- grant <email> | revoke <email> | list';

/** Just what the role commands need: configuration, the clock, events, the database (migrated as at start), users. */
@Module({})
class AdminCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        CoreModule.register(new SystemClock()),
        // UsersService tells of profile changes through it; nothing listens here.
        EventEmitterModule.forRoot(),
        DatabaseModule,
        UsersModule,
      ],
    };
  }
}

async function run(users: UsersService, [command, email, ...rest]: string[]): Promise<string> {
  if ((command === 'grant' || command === 'revoke') && email && rest.length === 0) {
    if (command === 'grant') {
      const { userId, changed } = await users.grantAdmin(email);
      return `${changed ? 'granted' : 'already granted'}: admin to user ${userId}`;
    }
    const { userId, changed, stillAdmin } = await users.revokeAdmin(email);
    const note = stillAdmin ? ' (still admin: ADMIN_EMAILS lists its verified address)' : '';
    return `${changed ? 'revoked' : 'not granted'}: admin of user ${userId}${note}`;
  }
  if (command === 'list' && !email) {
    const admins = await users.listAdmins();
    return admins.map((a) => `${a.id}\t${a.email}\t${a.sources.join(',')}`).join('\n') || '(no admins)';
  }
  throw new UsageError(USAGE);
}

class UsageError extends Error {}

/**
 * `npm run admin -- grant <email> | revoke <email> | list`: an operator's way to hold the
 * `admin` role that needs no email, run against the configured database with the service's own
 * environment (DATABASE_URL, ADMIN_EMAILS, …). Roles take effect on the next admin request.
 */
async function main(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const app = await NestFactory.createApplicationContext(AdminCliModule.forRoot(config), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    console.log(await run(app.get(UsersService), process.argv.slice(2)));
    return 0;
  } catch (e) {
    console.error(e instanceof UsageError ? e.message : `admin: ${safeErrorMessage(e)}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`admin failed: ${safeErrorMessage(e)}`);
    process.exit(1);
  },
);
