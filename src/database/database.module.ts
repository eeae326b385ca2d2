import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig, describeDatabase } from '../config/configuration.js';
import { AfterCommit } from './after-commit.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { MigratingDataSource } from './migrating-data-source.js';
import { WriteRefusals } from './write-refusals.js';
import { SqlDriver } from './sql-driver.js';
import { TransactionRunner } from './transaction-runner.js';

/** The database could not be opened at start (unreachable, refused, unknown, a failing migration). */
export class DatabaseOpenError extends Error {
  constructor(database: string, cause: unknown) {
    super(`cannot open the database ${database} (DATABASE_URL): ${causeText(cause)}`, { cause });
    this.name = 'DatabaseOpenError';
  }
}

/** A driver error's own words; a refused dual-stack connect is an AggregateError with no message of its own. */
function causeText(e: unknown): string {
  if (e instanceof AggregateError && !e.message) return e.errors.map(causeText).join('; ');
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return e.message || (typeof code === 'string' ? code : e.name);
  }
  return String(e);
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        ...buildDataSourceOptions(
          config.get('database', { infer: true }),
          config.get('databaseLimits', { infer: true }),
        ),
        // Fail fast at boot instead of retrying for minutes; the orchestrator restarts us.
        retryAttempts: 0,
        toRetry: () => false,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = new MigratingDataSource({ ...options!, logger: new WriteRefusals() });
        try {
          return await dataSource.initialize();
        } catch (e) {
          throw new DatabaseOpenError(
            describeDatabase(
              dataSource.options.type === 'mysql'
                ? { type: 'mysql', url: dataSource.options.url ?? '' }
                : { type: 'sqlite', path: String(dataSource.options.database) },
            ),
            e,
          );
        }
      },
    }),
  ],
  providers: [SqlDriver, TransactionRunner, AfterCommit],
  exports: [SqlDriver, TransactionRunner, AfterCommit],
})
export class DatabaseModule {}
