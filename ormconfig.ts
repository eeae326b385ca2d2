import 'reflect-metadata';
import { loadConfig } from './src/config/configuration.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { MigratingDataSource } from './src/database/migrating-data-source.js';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:run`), built by the app's own function,
 * migrating under the app's lock.
 */
export default new MigratingDataSource({ ...buildDataSourceOptions(loadConfig().database), migrationsRun: false });
