import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { Transform } from 'class-transformer';
import { trim } from '../../common/transforms.js';
import { IsUserEmail } from './email.rules.js';
import { IsPassword } from './password.rules.js';

export class RegisterDto {
  @IsUserEmail()
  email: string;

  @IsPassword()
  password: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', minLength: 1, maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}
