import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('device-sessions')
    .setDescription(
      'Authentication that knows where each user is logged in. Log in, copy `accessToken` into **Authorize**, ' +
        'then list your sessions and log devices out; a revoked session gets 401 on its very next request.\n\n' +
        // CC BY 4.0 asks for this link wherever the bundled database's results are shown.
        'Approximate locations: <a href="https://db-ip.com">IP Geolocation by DB-IP</a> (CC BY 4.0), unless ' +
        'GEOIP_DB_PATH names another database.',
    )
    .setVersion('1')
    // The order Swagger UI shows them in: a newcomer registers and logs in first.
    .addTag('auth', 'Register, log in, refresh, log out')
    .addTag('sessions', 'Your sessions (devices): list them, log them out')
    .addTag('users', 'Your profile and password')
    .addTag('admin', "Another user's sessions (role admin)")
    .addTag('health', 'Readiness and liveness probes')
    .addTag('keys', 'For other services: the public keys that verify our access tokens, and the OAuth metadata')
    .addTag('oauth', 'For other services: token introspection and revocation (INTROSPECTION_CLIENTS)')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The accessToken of a TokenPair',
    })
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'An INTROSPECTION_CLIENTS id and secret' }, 'client')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Swagger UI at /docs and the document at /docs-json, with "Authorize" wired to the bearer scheme.
 * The pasted token lives in the page's memory only: `persistAuthorization` would keep it in
 * localStorage, where any script on the origin, and anyone at the machine later, could read it.
 */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'device-sessions API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
}
