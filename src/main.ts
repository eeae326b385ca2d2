import './v8-flags.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';

/** Longer than the webhook timeout and a slow request; shorter than an orchestrator's usual 30 s kill grace. */
const SHUTDOWN_GRACE_MS = 25_000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  const app = await createApp({ config });
  const logger = new Logger('Bootstrap');
  if (config.auth.secretIsEphemeral) {
    logger.warn('JWT_SECRET is not set: using a random key for this process; every restart signs everyone out');
  }
  // SIGTERM/SIGINT, in Nest's order: new requests get 503 at once (return503OnClosing); the
  // module-destroy hooks run (queued last_active_at writes go out); Fastify finishes the requests
  // in flight; then the shutdown hooks (their last writes land, Redis and the database pool close,
  // webhooks get one timeout to finish).
  // Our own handler rather than enableShutdownHooks, so the last log lines are flushed: the
  // process ends when nothing is left to do, or after SHUTDOWN_GRACE_MS at the latest.
  const dataSource = app.get(DataSource);
  const shutdown = async (signal: NodeJS.Signals) => {
    logger.log(`${signal}: draining in-flight requests`);
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await app.close();
    logger.log(`stopped; database pool ${dataSource.isInitialized ? 'still open' : 'closed'}`);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, (s) => {
      shutdown(s).catch((e: Error) => {
        logger.error(`shutdown failed: ${e.message}`);
        process.exit(1);
      });
    });
  await app.listen({ port: config.app.port, host: '0.0.0.0' });
  logger.log(
    `device-sessions listening on http://localhost:${config.app.port} ` +
      `(docs at /docs, database: ${config.database.type})`,
  );
}

main().catch((e: Error) => {
  console.error(`device-sessions failed to start: ${e.message}`);
  process.exit(1);
});
