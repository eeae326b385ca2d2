import { NestFactory } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAccountPage } from './account-page.js';
import { AppModule, AppModuleOptions } from './app.module.js';
import { createLogger, fastifyLogging, PinoNestLogger } from './common/logging.js';
import { registerResponseHeaders } from './common/security-headers.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { HttpExceptionFilter } from './common/filters/http-exception.filter.js';
import { AppValidationPipe } from './common/validation.pipe.js';
import { loadConfig } from './config/configuration.js';
import { setupSwagger } from './swagger.js';

export interface CreateAppOptions extends AppModuleOptions {
  /** Where JSON log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
}

/** Builds the configured application; main.ts listens on it, the e2e tests drive it with supertest. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const logger = createLogger(config, options.logDestination);
  const adapter = new FastifyAdapter({
    trustProxy: config.app.trustProxy,
    bodyLimit: config.app.bodyLimit,
    // Our own answer while closing (GracefulShutdown): Fastify's and Nest's lack code and Retry-After.
    return503OnClosing: false,
    ...fastifyLogging(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ ...options, config }), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerResponseHeaders(fastify);
  GracefulShutdown.install(fastify);
  if (config.app.corsOrigins.length > 0) app.enableCors({ origin: config.app.corsOrigins, credentials: false });
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  setupSwagger(app);
  await registerAccountPage(app);
  await app.init();
  await fastify.ready();
  return app;
}
