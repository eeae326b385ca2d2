import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenPairResponse {
  @ApiProperty({ description: 'HS256 JWT carrying the session id (`sid`); send as `Authorization: Bearer …`' })
  accessToken: string;

  @ApiPropertyOptional({
    description:
      'Opaque, single use: every refresh returns a new one. Absent with `refreshTokenIn: "cookie"` ' +
      '(and after a refresh that read the cookie): the token is in the `__Host-ds_refresh` cookie instead',
  })
  refreshToken?: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ format: 'uuid' })
  sessionId: string;
}
