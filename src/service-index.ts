import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a newcomer goes next, as path → what it is. */
const LINKS = {
  docs: ['/docs', 'API documentation (Swagger UI)'],
  openapi: ['/docs-json', 'OpenAPI document'],
  devices: ['/account/devices', 'Your devices: see where you are logged in, log devices out'],
  health: ['/health', 'Readiness'],
} as const;

/** From the working directory, like ./public and the default SQLite path (the image keeps package.json in /app). */
function service(): { name: string; version: string } {
  const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
  };
  return { name: manifest.name ?? 'device-sessions', version: manifest.version ?? 'unknown' };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `GET /`: the service's name and version and links to the docs and the devices page, as JSON, or
 * as a small HTML page for a browser (Accept: text/html). Public; a Fastify route like the devices
 * page, so it stays out of the OpenAPI document. It keeps the API's header set: the page has no
 * script, style or image for `default-src 'none'` to block.
 */
export function registerServiceIndex(app: NestFastifyApplication): void {
  const { name, version } = service();
  const json = {
    name,
    version,
    links: Object.fromEntries(Object.entries(LINKS).map(([key, [href]]) => [key, href])),
  };
  const items = Object.values(LINKS)
    .map(([href, label]) => `<li><a href="${href}">${escapeHtml(label)}</a> <code>${href}</code></li>`)
    .join('');
  const title = escapeHtml(`${name} ${version}`);
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><ul>${items}</ul></body></html>`;
  app
    .getHttpAdapter()
    .getInstance()
    .get('/', (request, reply) => {
      reply.header('vary', 'accept');
      if (/\btext\/html\b/.test(request.headers.accept ?? '')) return reply.type('text/html; charset=utf-8').send(html);
      return reply.send(json);
    });
}
