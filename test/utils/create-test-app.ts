import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import { AppConfig, loadConfig } from '../../src/config/configuration.js';
import { FakeClock } from './fake-clock.js';
import { clearWorkerSigningKeys, mysqlUrlForWorker } from './databases.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-production-use';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof supertest>;
  clock: FakeClock;
  config: AppConfig;
  dataSource: DataSource;
  get<T>(token: abstract new (...args: never[]) => T): T;
  close(): Promise<void>;
}

/**
 * Boots the real AppModule (Fastify, real database, migrations) with a fake clock.
 * SQLite runs in memory, fresh per app; MySQL uses the worker's database, emptied first (its
 * signing keys before the boot, which makes the first key; the other tables after).
 */
export async function createTestApp(
  db: 'sqlite' | 'mysql',
  env: Record<string, string> = {},
  /** `keepData`: join the worker's database as it is (a second instance booting next to a first). */
  options: Pick<CreateAppOptions, 'logDestination'> & { keepData?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'fatal',
    JWT_SECRET: TEST_JWT_SECRET,
    TRUST_PROXY: 'true',
    RATE_LIMIT_PER_IP: '100000',
    DATABASE_URL: db === 'sqlite' ? 'sqlite::memory:' : await mysqlUrlForWorker(),
    ...env,
  });
  const clock = new FakeClock();
  const { keepData, ...appOptions } = options;
  if (db === 'mysql' && !keepData) await clearWorkerSigningKeys();
  const app = await createApp({ ...appOptions, config, clock, schedule: false });
  const dataSource = app.get(DataSource);
  if (!keepData) {
    await dataSource.query('DELETE FROM link_tokens');
    await dataSource.query('DELETE FROM sessions');
    await dataSource.query('DELETE FROM user_roles');
    await dataSource.query('DELETE FROM users');
    await dataSource.query('DELETE FROM login_audit');
    await dataSource.query('DELETE FROM outbox');
    await dataSource.query('DELETE FROM session_endings');
  }
  const open = openTestApps();
  const t: TestApp = {
    app,
    http: supertest(app.getHttpServer()),
    clock,
    config,
    dataSource,
    get: (token) => app.get(token),
    close: () => {
      open.delete(t);
      return app.close();
    },
  };
  open.add(t);
  return t;
}

/** The apps booted and not yet closed in this test file (test/environment.cjs checks it is empty at the end). */
function openTestApps(): Set<TestApp> {
  const g = globalThis as { __openTestApps?: Set<TestApp> };
  return (g.__openTestApps ??= new Set());
}
