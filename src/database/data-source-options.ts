import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { LoginAuditEntity } from '../audit/login-audit.entity.js';
import { LinkTokenEntity } from '../auth/link-token.entity.js';
import {
  type DatabaseConfig,
  type DatabaseLimits,
  DEFAULT_DATABASE_LIMITS,
  parseDatabaseUrl,
} from '../config/configuration.js';
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

/**
 * One function builds the DataSource options for the app, the tests and the TypeORM CLI
 * (ormconfig.ts). The statement timeout is not here: migrations may run long DDL; SqlDriver
 * turns it on once they are done.
 */
export function buildDataSourceOptions(
  db: DatabaseConfig,
  limits: DatabaseLimits = DEFAULT_DATABASE_LIMITS,
): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: db.migrationsRun, synchronize: false, logging: false } as const;
  if (db.type === 'sqlite') {
    if (db.path !== ':memory:') ensureSqliteDirectory(db.path);
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      // The busy timeout: how long a statement waits for another process's write lock (the admin
      // CLI, a migration) before it fails as SQLITE_BUSY (503).
      timeout: limits.statementTimeoutMs,
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
    // A bounded queue: past `queueLimit` waiting requests, mysql2 refuses at once (503).
    extra: {
      connectionLimit: limits.poolSize,
      queueLimit: limits.queueLimit,
      connectTimeout: 5000,
      enableKeepAlive: true,
    },
  };
}
