import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator.js';
import { Public } from '../../common/decorators/public.decorator.js';
import type { FormRouteConfig } from '../../common/json-body.js';
import { OAuthClientGuard, OAuthClientId } from './oauth-clients.guard.js';
import {
  ActiveAccessTokenResponse,
  ActiveRefreshTokenResponse,
  InactiveTokenResponse,
  type IntrospectionResponse,
  TOKEN_FORM_FIELDS,
  TokenFormDto,
  TokenFormPipe,
} from './oauth.dto.js';
import { OAuthService } from './oauth.service.js';

/** An interface, not the DTO class: the global ValidationPipe passes it on to TokenFormPipe untouched. */
type TokenForm = Pick<TokenFormDto, 'token' | 'token_type_hint'>;

const FORM: FormRouteConfig = { form: TOKEN_FORM_FIELDS };
const FORM_TYPE = 'application/x-www-form-urlencoded';
const CLIENT_ERRORS = {
  400: ['validation_failed'],
  401: ['invalid_client'],
  404: ['not_found'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  503: ['service_unavailable'],
} as const;

/** For other services (INTROSPECTION_CLIENTS): no bearer token, HTTP Basic client authentication. */
@ApiTags('oauth')
@ApiBasicAuth('client')
@Public()
@UseGuards(OAuthClientGuard)
@Controller('v1/oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('introspect')
  @HttpCode(200)
  @RouteConfig(FORM)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Is this token live? (RFC 7662)' })
  @ApiConsumes(FORM_TYPE)
  @ApiBody({ type: TokenFormDto })
  @ApiExtraModels(InactiveTokenResponse, ActiveAccessTokenResponse, ActiveRefreshTokenResponse)
  @ApiOkResponse({
    description: '`{active: false}` alone for anything not live',
    schema: {
      oneOf: [InactiveTokenResponse, ActiveAccessTokenResponse, ActiveRefreshTokenResponse].map((m) => ({
        $ref: getSchemaPath(m),
      })),
    },
  })
  @ApiErrors(CLIENT_ERRORS, { 429: ['rate_limited'] })
  introspect(@OAuthClientId() clientId: string, @Body(TokenFormPipe) form: TokenForm): Promise<IntrospectionResponse> {
    return this.oauth.introspect(clientId, form.token);
  }

  @Post('revoke')
  @HttpCode(200)
  @RouteConfig(FORM)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'End the session of an access or refresh token (RFC 7009); 200 for any token' })
  @ApiConsumes(FORM_TYPE)
  @ApiBody({ type: TokenFormDto })
  @ApiOkResponse({ description: 'The token’s session has ended, or the token was not live' })
  @ApiErrors(CLIENT_ERRORS)
  revoke(@Body(TokenFormPipe) form: TokenForm): Promise<void> {
    return this.oauth.revoke(form.token);
  }
}
