import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { CoreModule } from './app.module.js';
import { SystemClock } from './common/clock.js';
import { safeErrorMessage } from './common/logging.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';
import { DatabaseModule } from './database/database.module.js';
import { KeyRotation, UnknownKeyError } from './keys/key-rotation.js';
import { KeyRotationModule } from './keys/keys.module.js';

const USAGE = 'usage: npm run keys -- rotate | list | revoke <kid>';

/** Just what the key commands need: configuration, the clock, the database (migrated as at start), the key set. */
@Module({})
class KeysCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: KeysCliModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        CoreModule.register(new SystemClock()),
        DatabaseModule,
        KeyRotationModule,
      ],
    };
  }
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

async function run(keys: KeyRotation, config: AppConfig, [command, kid, ...rest]: string[]): Promise<string> {
  if (config.keys.algorithm === 'HS256' && command !== 'list')
    throw new Error('JWT_ALGORITHM=HS256 signs with JWT_SECRET: there are no keys to rotate or revoke');
  if (command === 'rotate' && !kid) {
    const { kid: made, activatesAt, started } = await keys.rotate();
    return `${started ? 'rotation started' : 'a rotation is already under way'}: ${made} is published and signs from ${iso(activatesAt)}`;
  }
  if (command === 'revoke' && kid && rest.length === 0) {
    const { revoked, replacedBy } = await keys.revoke(kid);
    if (!revoked) return `already revoked: ${kid}`;
    return `revoked: ${kid}; its tokens are refused on every instance within ${Math.ceil(config.keys.pollMs / 1000)} s${
      replacedBy ? `; ${replacedBy} signs from now` : ''
    }`;
  }
  if (command === 'list' && !kid) {
    const rows = await keys.list(config.auth.accessTokenTtl * 1000);
    const lines = rows.map(({ key, state }) =>
      [
        key.kid,
        key.alg,
        state,
        `created ${iso(key.createdAt)}`,
        `signs ${iso(key.activatesAt)}`,
        `retires ${iso(key.retiresAt)}`,
        `revoked ${iso(key.revokedAt)}`,
      ].join('\t'),
    );
    return lines.join('\n') || '(no keys)';
  }
  throw new UsageError(USAGE);
}

class UsageError extends Error {}

/**
 * `npm run keys -- rotate | list | revoke <kid>`: the signing keys of the configured database,
 * with the service's own environment (DATABASE_URL, JWT_SECRET, JWT_ALGORITHM, REDIS_URL, …).
 * A change reaches every instance at once through Redis where it is set, else at their next poll.
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
  if (!process.env.JWT_SECRET) {
    console.error('keys: JWT_SECRET must be set: the private keys are encrypted under it');
    return 1;
  }
  // Errors only: the commands print what they did themselves.
  const app = await NestFactory.createApplicationContext(KeysCliModule.forRoot(config), {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    console.log(await run(app.get(KeyRotation), config, process.argv.slice(2)));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    console.error(`keys: ${(e as Error).message}`);
    return e instanceof UnknownKeyError ? 3 : 1;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`keys failed: ${safeErrorMessage(e)}`);
    process.exit(1);
  },
);
