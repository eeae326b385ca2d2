import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsDeviceName } from '../../sessions/dto/device-name.rules.js';
import { IsUserEmail } from '../../users/dto/email.rules.js';
import { IsPresentedPassword } from '../../users/dto/password.rules.js';

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
}
