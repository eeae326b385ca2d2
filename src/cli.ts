import 'reflect-metadata';
import { type DynamicModule, type INestApplicationContext, type LogLevel, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { CoreModule } from './app.module.js';
import { SystemClock } from './common/clock.js';
import { safeErrorMessage } from './common/logging.js';
import { type AppConfig, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';
import { DatabaseModule } from './database/database.module.js';

/** A command line the tool does not take: its usage is printed, exit code 2. */
export class UsageError extends Error {}

/** The configuration, or null once the one line saying why it is refused has been printed. */
export function loadConfigOrReport(): AppConfig | null {
  try {
    return loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigValidationError)) throw e;
    console.error(e.message);
    return null;
  }
}

export interface CliSpec {
  /** Prefix of the error lines (`keys: …`). */
  name: string;
  /** The feature modules the commands need, beside configuration, the clock and the database. */
  imports: DynamicModule['imports'];
  /** Nest's own log levels to show; the commands print what they did themselves. */
  logger: LogLevel[];
  /** Why this configuration cannot run the tool (printed, exit code 1), checked before the database is opened. */
  refuse?: (config: AppConfig) => string | undefined;
  /** Runs the command and returns what to print; throws UsageError for a command line it does not take. */
  run: (app: INestApplicationContext, config: AppConfig, args: string[]) => Promise<string>;
  /** The exit code of an error that is not a UsageError (default 1). */
  exitCode?: (error: unknown) => number;
}

/**
 * An operator's command (`npm run admin`, `npm run keys`) against the configured database, with the
 * service's own environment and migrations as at start: configuration, the clock, the database and
 * `imports` in one application context, closed before the process exits with the command's code.
 */
export function runCli(spec: CliSpec): void {
  const main = async (): Promise<number> => {
    const config = loadConfigOrReport();
    if (!config) return 1;
    const refused = spec.refuse?.(config);
    if (refused) {
      console.error(`${spec.name}: ${refused}`);
      return 1;
    }
    @Module({})
    class CliModule {}
    const root: DynamicModule = {
      module: CliModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        CoreModule.register(new SystemClock()),
        DatabaseModule,
        ...(spec.imports ?? []),
      ],
    };
    const app = await NestFactory.createApplicationContext(root, { logger: spec.logger, abortOnError: false });
    try {
      console.log(await spec.run(app, config, process.argv.slice(2)));
      return 0;
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(e.message);
        return 2;
      }
      console.error(`${spec.name}: ${safeErrorMessage(e)}`);
      return spec.exitCode?.(e) ?? 1;
    } finally {
      await app.close();
    }
  };
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`${spec.name} failed: ${safeErrorMessage(e)}`);
      process.exit(1);
    },
  );
}
