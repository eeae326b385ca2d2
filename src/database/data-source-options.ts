import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { LoginAuditEntity } from '../audit/login-audit.entity.js';
import { LinkTokenEntity } from '../auth/link-token.entity.js';
import type { DatabaseConfig } from '../config/configuration.js';
import { SessionEntity } from '../sessions/session.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { migrations } from './migrations/index.js';

export const entities = [UserEntity, SessionEntity, LoginAuditEntity, LinkTokenEntity];

/** One function builds the DataSource options for the app, the tests and the TypeORM CLI (ormconfig.ts). */
export function buildDataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: db.migrationsRun, synchronize: false, logging: false } as const;
  if (db.type === 'sqlite') {
    if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      enableWAL: db.path !== ':memory:',
      // Several statements may wait on the single connection's write lock under load.
      timeout: 5000,
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: db.url,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: false,
    extra: { connectionLimit: 20, connectTimeout: 5000, enableKeepAlive: true },
  };
}
