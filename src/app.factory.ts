import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAccountPage } from './account-page.js';
import { AppModule, AppModuleOptions } from './app.module.js';
import { createLogger, fastifyLogging, PinoNestLogger } from './common/logging.js';
import { registerJsonBodyParser } from './common/json-body.js';
import { corsPolicy, registerResponseHeaders } from './common/security-headers.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { frameworkErrors } from './common/filters/framework-errors.js';
import { HttpExceptionFilter } from './common/filters/http-exception.filter.js';
import { AppValidationPipe } from './common/validation.pipe.js';
import { loadConfig } from './config/configuration.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import { registerServiceIndex } from './service-index.js';
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
    trustProxy: fastifyTrustProxy(config.app.trustProxy),
    bodyLimit: config.app.bodyLimit,
    // Our own answer while closing (GracefulShutdown): Fastify's and Nest's lack code and Retry-After.
    return503OnClosing: false,
    frameworkErrors,
    ...fastifyLogging(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ ...options, config }), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: false,
    // A failed start rethrows; main.ts prints its cause in one line rather than Nest's held boot logs.
    autoFlushLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify, config.app.bodyLimit);
  registerResponseHeaders(fastify);
  // Only POST /v1/auth/refresh reads a cookie (RefreshCookie parses it there): no parsing on every request.
  await app.register(fastifyCookie, { hook: false });
  GracefulShutdown.install(fastify);
  if (config.app.corsOrigins.length > 0) app.enableCors(corsPolicy(config.app.corsOrigins));
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  if (config.app.swagger) setupSwagger(app);
  await registerAccountPage(app);
  registerServiceIndex(app);
  await app.init();
  await fastify.ready();
  return app;
}
