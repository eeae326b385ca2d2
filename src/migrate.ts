import 'reflect-metadata';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { createLogger } from './common/logging.js';
import { describeDatabase, loadConfig } from './config/configuration.js';
import { buildDataSourceOptions } from './database/data-source-options.js';
import { DatabaseOpenError } from './database/database.module.js';
import { startupFailure } from './startup.js';

/**
 * Applies the pending migrations and exits: `npm run migration:run`, the Docker entrypoint and
 * compose's one-shot `migrate` job. It reads the environment with the service's own loadConfig,
 * so DATABASE_URL and MIGRATIONS_RUN mean here exactly what they mean to the service, and it
 * logs the service's JSON lines (the TypeORM CLI's text would break a JSON log stream).
 *
 * `--if-enabled` (the entrypoint): do nothing unless MIGRATIONS_RUN is on.
 */
async function migrate(ifEnabled: boolean): Promise<void> {
  const config = loadConfig();
  // Synchronous: every line is out before the process exits, failure included.
  const log = createLogger(config, pino.destination({ dest: 1, sync: true })).child({ context: 'Migrations' });
  const database = describeDatabase(config.database);
  if (ifEnabled && !config.database.migrationsRun) {
    log.info({ database }, 'MIGRATIONS_RUN is off: not running migrations');
    return;
  }
  const dataSource = new DataSource({ ...buildDataSourceOptions(config.database), migrationsRun: false });
  await dataSource.initialize().catch((e: unknown) => {
    throw new DatabaseOpenError(database, e);
  });
  try {
    const applied = await dataSource.runMigrations();
    for (const m of applied) log.info({ database, migration: m.name }, 'migration applied');
    log.info({ database, applied: applied.length }, applied.length ? 'migrations applied' : 'no pending migrations');
  } finally {
    await dataSource.destroy();
  }
}

migrate(process.argv.includes('--if-enabled')).catch((e: unknown) => {
  const { line, unexpected } = startupFailure(e, 'device-sessions migrations failed');
  if (unexpected && e instanceof Error && e.stack) console.error(e.stack);
  console.error(line);
  process.exit(1);
});
