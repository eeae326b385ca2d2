import './v8-flags.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { ConfigValidationError } from './config/env.validation.js';

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
  // SIGTERM/SIGINT: the drain (GracefulShutdown) serves every request that reached us and stops
  // listening; then, in Nest's order, the module-destroy hooks run (queued last_active_at writes
  // go out); Fastify finishes the requests in flight, answering any later one 503; then the
  // shutdown hooks (their last writes land, Redis and the database pool close, webhooks get one
  // timeout to finish).
  // Our own handler rather than enableShutdownHooks, so the last log lines are flushed: the
  // process ends when nothing is left to do, or after SHUTDOWN_GRACE_MS with exit code 1 (a
  // request unanswered or a write not landed is a failed shutdown, e.g. under a stalled database).
  const dataSource = app.get(DataSource);
  const server = app.getHttpServer();
  const shutdown = async (signal: NodeJS.Signals) => {
    logger.log(`${signal}: draining in-flight requests`);
    const graceMs = config.app.shutdownGraceMs;
    setTimeout(() => {
      server.getConnections((_, open) => {
        logger.error(
          `shutdown did not finish within ${graceMs} ms (${open ?? '?'} connections open, database pool ${dataSource.isInitialized ? 'open' : 'closed'}): exiting with code 1`,
        );
        process.exit(1);
      });
    }, graceMs).unref();
    await GracefulShutdown.of(server).drain();
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
