import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/configuration.js';
import { AfterCommit } from './after-commit.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { MigratingDataSource } from './migrating-data-source.js';
import { WriteRefusals } from './write-refusals.js';
import { SqlDriver } from './sql-driver.js';
import { TransactionRunner } from './transaction-runner.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        ...buildDataSourceOptions(config.get('database', { infer: true })),
        // Fail fast at boot instead of retrying for minutes; the orchestrator restarts us.
        retryAttempts: 0,
      }),
      dataSourceFactory: (options) =>
        Promise.resolve(new MigratingDataSource({ ...options!, logger: new WriteRefusals() })),
    }),
  ],
  providers: [SqlDriver, TransactionRunner, AfterCommit],
  exports: [SqlDriver, TransactionRunner, AfterCommit],
})
export class DatabaseModule {}
