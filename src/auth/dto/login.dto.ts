import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { REFRESH_TOKEN_IN, type RefreshTokenIn } from '../../sessions/refresh-cookie.js';
import { IsUserEmail } from '../../users/dto/email.rules.js';
import { IsPresentedPassword } from '../../users/dto/password.rules.js';
import { trim } from '../../common/transforms.js';
import { REFRESH_TOKEN_IN_PROPERTY } from './refresh.dto.js';

export class LoginDto {
  @IsUserEmail()
  email: string;

  @IsPresentedPassword()
  password: string;

  @ApiPropertyOptional({
    example: 'Work laptop',
    maxLength: 100,
    description: 'Shown in the device list; derived from the User-Agent when absent',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  deviceName?: string;

  @ApiPropertyOptional(REFRESH_TOKEN_IN_PROPERTY)
  @IsOptional()
  @IsIn(REFRESH_TOKEN_IN)
  refreshTokenIn?: RefreshTokenIn;
}
