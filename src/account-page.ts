import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Resolved from the working directory, like the default SQLite path: `npm start`, the tests
// and a container started in the project directory all find it.
const ACCOUNT_DIR = join(process.cwd(), 'public', 'account');

/** Each page's path and file: the devices page, and the pages the mailed links open (their token in the fragment). */
const PAGES = {
  '/account/devices': 'devices.html',
  '/account/verify': 'verify.html',
  '/account/reset': 'reset.html',
  '/account/not-me': 'not-me.html',
};

/**
 * The self-service pages under /account/: static files served by Fastify directly, so they stay
 * out of Nest's router and out of the OpenAPI document. Only the files present at boot are
 * served (no wildcard route), so unknown /account/* paths get the API's usual 404.
 */
export async function registerAccountPage(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(ACCOUNT_DIR)) throw new Error(`the account pages are missing: ${ACCOUNT_DIR} does not exist`);
  await app.register(fastifyStatic, { root: ACCOUNT_DIR, prefix: '/account/', wildcard: false, index: false });
  const fastify = app.getHttpAdapter().getInstance();
  for (const [path, file] of Object.entries(PAGES)) fastify.get(path, (_request, reply) => reply.sendFile(file));
}
