import { createApp } from './app.factory.js';
import { loadConfig } from './config/configuration.js';
import { buildOpenApi } from './swagger.js';

/** Recursively sorts object keys (arrays keep their order), so the file only changes when the API does. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The OpenAPI document as committed in openapi.json: built from the real application (in-memory
 * SQLite, nothing listening, nothing read from the environment), keys sorted, 2-space JSON.
 */
export async function generateOpenApiJson(): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    JWT_SECRET: 'openapi-generation-only-secret-not-used-for-anything',
    LOG_LEVEL: 'silent',
    GEOIP_DB_PATH: 'off',
  });
  const app = await createApp({ config, schedule: false });
  try {
    return `${JSON.stringify(sortKeys(buildOpenApi(app)), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
