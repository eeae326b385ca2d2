import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { REFRESH_TOKEN_IN, type RefreshTokenIn } from '../../sessions/refresh-cookie.js';
import { IsDeviceName } from '../../sessions/dto/device-name.rules.js';
import { IsUserEmail } from '../../users/dto/email.rules.js';
import { IsPresentedPassword } from '../../users/dto/password.rules.js';
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
  @IsDeviceName()
  deviceName?: string;

  @ApiPropertyOptional(REFRESH_TOKEN_IN_PROPERTY)
  @IsOptional()
  @IsIn(REFRESH_TOKEN_IN)
  refreshTokenIn?: RefreshTokenIn;
}
