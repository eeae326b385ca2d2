import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Resolved from the working directory, like the default SQLite path: `npm start`, the tests
// and a container started in the project directory all find it.
const ACCOUNT_DIR = join(process.cwd(), 'public', 'account');

/**
 * The self-service devices page at /account/devices: static files served by Fastify directly,
 * so they stay out of Nest's router and out of the OpenAPI document. Only the files present
 * at boot are served (no wildcard route), so unknown /account/* paths get the API's usual 404.
 */
export async function registerAccountPage(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(ACCOUNT_DIR)) throw new Error(`the devices page is missing: ${ACCOUNT_DIR} does not exist`);
  await app.register(fastifyStatic, { root: ACCOUNT_DIR, prefix: '/account/', wildcard: false, index: false });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/account/devices', (_request, reply) => reply.sendFile('devices.html'));
}
