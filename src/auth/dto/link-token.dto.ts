import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsPassword } from '../../users/dto/password.rules.js';
import { IsUserEmail } from '../../users/dto/email.rules.js';

/** Any string up to 200 characters is a link token to judge (an unknown one is 400 `link_invalid`); else 400. */
const IsLinkToken = () =>
  applyDecorators(
    ApiProperty({
      description: 'The token from the link’s fragment (`#token=…`)',
      example: 'tW2k3mF0dQ9hQ1e1bZ8s0oX4yJc7aLr5uVn6pGi3qEw',
      minLength: 1,
      maxLength: 200,
    }),
    IsString(),
    MinLength(1),
    MaxLength(200),
  );

export class LinkTokenDto {
  @IsLinkToken()
  token: string;
}

export class ResetPasswordDto {
  @IsLinkToken()
  token: string;

  @IsPassword('The new password: 8 to 128 characters (at most 512 UTF-8 bytes), not a commonly used one')
  newPassword: string;
}

export class ForgotPasswordDto {
  @IsUserEmail()
  email: string;
}
