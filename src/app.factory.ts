import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAccountPage } from './account-page.js';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module.js';
import { requestId } from './common/logging.js';
import { registerSecurityHeaders } from './common/security-headers.js';
import { HttpExceptionFilter } from './common/filters/http-exception.filter.js';
import { AppValidationPipe } from './common/validation.pipe.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { setupSwagger } from './swagger.js';

/** Builds the configured application; main.ts listens on it, the e2e tests drive it with supertest. */
export async function createApp(options: AppModuleOptions & { config?: AppConfig } = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const adapter = new FastifyAdapter({
    trustProxy: config.app.trustProxy,
    bodyLimit: config.app.bodyLimit,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: requestId,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ ...options, config }), adapter, {
    // Held until the pino logger is in place, so even bootstrap lines come out as JSON.
    bufferLogs: true,
    logger: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While shutting down, responses to requests still in flight close their keep-alive
  // connection, so the server need not wait for clients to drop idle sockets.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  registerSecurityHeaders(fastify);
  if (config.app.corsOrigins.length > 0) app.enableCors({ origin: config.app.corsOrigins, credentials: false });
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  setupSwagger(app);
  await registerAccountPage(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
