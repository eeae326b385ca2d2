import helmet from '@fastify/helmet';
import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAccountPage } from './account-page.js';
import { AppModule, AppModuleOptions } from './app.module.js';
import { HttpExceptionFilter } from './common/filters/http-exception.filter.js';
import { AppValidationPipe } from './common/validation.pipe.js';
import { AppConfig, loadConfig } from './config/configuration.js';
import { setupSwagger } from './swagger.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
function logLevels(level: string): LogLevel[] {
  const index = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level];
  return index === undefined ? [] : LEVELS.slice(0, index + 1);
}

/** Builds the configured application; main.ts listens on it, the e2e tests drive it with supertest. */
export async function createApp(options: AppModuleOptions & { config?: AppConfig } = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const adapter = new FastifyAdapter({ trustProxy: config.app.trustProxy, bodyLimit: config.app.bodyLimit, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ ...options, config }), adapter, {
    logger: new ConsoleLogger({ json: config.app.env === 'production', logLevels: logLevels(config.app.logLevel) }),
    abortOnError: false,
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:'],
        scriptSrc: [`'self'`],
        // Helmet's default would make browsers fetch /docs and /account/devices assets over https
        // even when the service is reached over plain http on a non-local host (compose, LAN),
        // leaving both pages blank. Our pages only use relative URLs, so it protects nothing.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (config.app.corsOrigins.length > 0) app.enableCors({ origin: config.app.corsOrigins, credentials: false });
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  setupSwagger(app);
  await registerAccountPage(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
