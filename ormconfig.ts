import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/configuration.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** The DataSource the TypeORM CLI uses (`npm run migration:run`), built by the app's own function. */
export default new DataSource({ ...buildDataSourceOptions(loadConfig().database), migrationsRun: false });
