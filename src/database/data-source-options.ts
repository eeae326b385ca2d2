import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { LoginAuditEntity } from '../audit/login-audit.entity.js';
import { LinkTokenEntity } from '../auth/link-token.entity.js';
import { type DatabaseConfig, parseDatabaseUrl } from '../config/configuration.js';
import { ConfigValidationError, DEFAULT_DATABASE_URL } from '../config/env.validation.js';
import { SigningKeyEntity } from '../keys/signing-key.entity.js';
import { SessionEntity } from '../sessions/session.entity.js';
import { UserRoleEntity } from '../users/user-role.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { migrations } from './migrations/index.js';

export const entities = [
  UserEntity,
  UserRoleEntity,
  SessionEntity,
  LoginAuditEntity,
  LinkTokenEntity,
  SigningKeyEntity,
];

/**
 * The default database's directory (./data) is made on first start, so `npm start` needs no
 * setup. Any other path must name a directory that exists: a typo in DATABASE_URL must not
 * quietly create a tree and a fresh, empty database in it.
 */
function ensureSqliteDirectory(path: string): void {
  const dir = resolve(dirname(path));
  if (existsSync(dir)) return;
  const defaultPath = parseDatabaseUrl(DEFAULT_DATABASE_URL, false);
  if (defaultPath.type === 'sqlite' && dir === resolve(dirname(defaultPath.path))) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  throw new ConfigValidationError('DATABASE_URL', `the directory ${dir} does not exist (only ./data is created)`);
}

/** One function builds the DataSource options for the app, the tests and the TypeORM CLI (ormconfig.ts). */
export function buildDataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: db.migrationsRun, synchronize: false, logging: false } as const;
  if (db.type === 'sqlite') {
    if (db.path !== ':memory:') ensureSqliteDirectory(db.path);
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      // Several statements may wait on the single connection's write lock under load.
      timeout: 5000,
      // Set on every connection, not left to the driver's build default: that is synchronous=NORMAL
      // once the file is in WAL mode (FULL only on the boot that created it), and NORMAL may lose
      // the last commits on power loss: a lost revocation brings its token back. FULL syncs the
      // WAL on every commit.
      prepareDatabase: (connection: { pragma(source: string): unknown }) => {
        if (db.path !== ':memory:') connection.pragma('journal_mode = WAL');
        connection.pragma('synchronous = FULL');
      },
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
