import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
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
  await app.listen({ port: config.app.port, host: '0.0.0.0' });
  logger.log(`device-sessions listening on http://localhost:${config.app.port} (docs at /docs, database: ${config.database.type})`);
}

main().catch((e: Error) => {
  console.error(`device-sessions failed to start: ${e.message}`);
  process.exit(1);
});
