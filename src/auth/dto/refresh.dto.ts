import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { REFRESH_TOKEN_IN, type RefreshTokenIn } from '../../sessions/refresh-cookie.js';

export const REFRESH_TOKEN_IN_PROPERTY = {
  enum: REFRESH_TOKEN_IN,
  default: 'body',
  description:
    '`cookie`: the refresh token is set as the `__Host-ds_refresh` cookie (HttpOnly, Secure, SameSite=Strict) ' +
    'and left out of the body, for browser apps (docs/browser-apps.md)',
} as const;

export class RefreshDto {
  @ApiPropertyOptional({
    description:
      'The refresh token of the last TokenPair (opaque). Absent: the `__Host-ds_refresh` cookie is read, ' +
      'which needs `X-CSRF-Protection: 1` and an allowed Origin, and the new token goes back into the cookie',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken?: string;

  @ApiPropertyOptional(REFRESH_TOKEN_IN_PROPERTY)
  @IsOptional()
  @IsIn(REFRESH_TOKEN_IN)
  refreshTokenIn?: RefreshTokenIn;
}
