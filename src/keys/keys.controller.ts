import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/decorators/public.decorator.js';
import type { AppConfig } from '../config/configuration.js';
import { AuthorizationServerMetadata, JwksResponse } from './keys.dto.js';
import { type Jwk, SigningKeys } from './signing-keys.js';

const CLIENT_AUTH = ['client_secret_basic'];

/** What other services need to trust our tokens: the public keys and where the OAuth endpoints are. */
@ApiTags('keys')
@Public()
@Controller('.well-known')
export class KeysController {
  private readonly metadata: AuthorizationServerMetadata;

  constructor(
    private readonly keys: SigningKeys,
    config: ConfigService<AppConfig, true>,
  ) {
    const base = config.get('app', { infer: true }).publicUrl;
    this.metadata = {
      issuer: config.get('auth', { infer: true }).issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      introspection_endpoint: `${base}/v1/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH,
      revocation_endpoint: `${base}/v1/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH,
    };
  }

  @Get('jwks.json')
  @ApiOperation({
    summary:
      'The public keys that verify live access tokens (RFC 7517); cacheable for at most half of JWT_KEY_PREPUBLISH. Empty under HS256',
  })
  @ApiOkResponse({ type: JwksResponse })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): { keys: Jwk[] } {
    reply.header('cache-control', `public, max-age=${this.keys.jwksMaxAge}`);
    return this.keys.jwks();
  }

  @Get('oauth-authorization-server')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414 subset): issuer, JWKS, introspection, revocation' })
  @ApiOkResponse({ type: AuthorizationServerMetadata })
  authorizationServer(@Res({ passthrough: true }) reply: FastifyReply): AuthorizationServerMetadata {
    reply.header('cache-control', 'public, max-age=3600');
    return this.metadata;
  }
}
