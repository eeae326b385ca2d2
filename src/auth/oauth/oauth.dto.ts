import { Injectable, type PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { apiError } from '../../common/api-error.js';

/** The form fields both endpoints read (RFC 7662 §2.1, RFC 7009 §2.1); anything else in the form is ignored. */
export const TOKEN_FORM_FIELDS = ['token', 'token_type_hint'] as const;

const MAX_HINT = 64;

/** The form, for the OpenAPI document; TokenFormPipe checks it. */
export class TokenFormDto {
  @ApiProperty({ description: 'An access token or a refresh token of this service' })
  token: string;

  @ApiPropertyOptional({
    description: 'What the token is; a hint only (the token is recognised by its form whatever it says)',
    example: 'access_token',
    maxLength: MAX_HINT,
  })
  token_type_hint?: string;
}

/**
 * The form's check. The form parser hands on strings only, and only these two fields
 * (`parseForm`), so this is all there is to validate — without the class-transformer and
 * class-validator round of the JSON routes, on a route other services call per request.
 */
@Injectable()
export class TokenFormPipe implements PipeTransform<unknown, TokenFormDto> {
  transform(value: unknown): TokenFormDto {
    const form = (value ?? {}) as Partial<Record<keyof TokenFormDto, unknown>>;
    if (typeof form.token !== 'string') throw apiError(400, 'validation_failed', 'token is required');
    const hint = form.token_type_hint;
    if (hint !== undefined && (typeof hint !== 'string' || hint.length > MAX_HINT))
      throw apiError(400, 'validation_failed', `token_type_hint must be at most ${MAX_HINT} characters`);
    return { token: form.token, token_type_hint: hint };
  }
}

/** RFC 7662 §2.2, for anything not live: `active` and nothing else. */
export class InactiveTokenResponse {
  @ApiProperty({ enum: [false] })
  active: false;
}

/** RFC 7662 §2.2, a live access token: its session is live and it has not expired. */
export class ActiveAccessTokenResponse {
  @ApiProperty({ enum: [true] })
  active: true;

  @ApiProperty({ enum: ['access_token'] })
  token_type: 'access_token';

  @ApiProperty({ format: 'uuid', description: 'The user' })
  sub: string;

  @ApiProperty({ format: 'uuid', description: 'The session' })
  sid: string;

  @ApiProperty({ description: 'Expiry, seconds since the epoch' })
  exp: number;

  @ApiProperty({ description: 'Issued at, seconds since the epoch' })
  iat: number;

  @ApiProperty({ description: 'JWT_ISSUER' })
  iss: string;

  @ApiProperty({ description: 'JWT_AUDIENCE' })
  aud: string;

  @ApiProperty()
  jti: string;
}

/** RFC 7662 §2.2, a refresh token that is its live session's current one. */
export class ActiveRefreshTokenResponse {
  @ApiProperty({ enum: [true] })
  active: true;

  @ApiProperty({ enum: ['refresh_token'] })
  token_type: 'refresh_token';

  @ApiProperty({ format: 'uuid', description: 'The user' })
  sub: string;

  @ApiProperty({ format: 'uuid', description: 'The session' })
  sid: string;

  @ApiProperty({ description: 'The session’s absolute expiry, seconds since the epoch' })
  exp: number;
}

export type IntrospectionResponse = InactiveTokenResponse | ActiveAccessTokenResponse | ActiveRefreshTokenResponse;

/** Every answer that is not live: nothing more than this (RFC 7662 §2.2). */
export const INACTIVE: InactiveTokenResponse = Object.freeze({ active: false });
