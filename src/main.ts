import './v8-flags.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { safeErrorMessage } from './common/logging.js';
import { loadConfigOrReport } from './cli.js';
import { describeDatabase } from './config/configuration.js';
import { ListenError, startupFailure } from './startup.js';

async function main(): Promise<void> {
  const config = loadConfigOrReport();
  if (!config) process.exit(1);
  // Nest's boot lines are held until the service listens: a failed start prints only its cause.
  Logger.attachBuffer();
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
      shutdown(s).catch((e: unknown) => {
        logger.error(`shutdown failed: ${safeErrorMessage(e)}`);
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
