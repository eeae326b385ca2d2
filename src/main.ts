import './v8-flags.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory.js';
import { AppConfig, describeDatabase, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';
import { ListenError, startupFailure } from './startup.js';

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
  // Nest's boot lines are held until the service listens: a failed start prints only its cause.
  Logger.attachBuffer();
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
  const { host, port } = config.app;
  await app.listen({ port, host }).catch((e: unknown) => {
    throw new ListenError(host, port, e);
  });
  Logger.flush();
  const address = app.getHttpAdapter().getInstance().server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  logger.log(`device-sessions listening on ${url} (docs at /docs, database: ${describeDatabase(config.database)})`);
}

main().catch((e: unknown) => {
  Logger.detachBuffer();
  const { line, unexpected } = startupFailure(e);
  if (unexpected && e instanceof Error && e.stack) console.error(e.stack);
  console.error(line);
  process.exit(1);
});
