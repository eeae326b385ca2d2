import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { isCommonPassword } from '../common-passwords.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** 128 four-byte characters would be 512 bytes: the bound argon2 ever sees, checked after NFKC (which can expand). */
export const PASSWORD_MAX_BYTES = 512;

const utf8Bytes = (value: string) => Buffer.byteLength(value.normalize('NFKC'), 'utf8');

/** Bounds the work one request can ask of argon2; never truncates. Applies to every password field, old or new. */
export const MaxPasswordBytes = () =>
  ValidateBy({
    name: 'maxPasswordBytes',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || utf8Bytes(value) <= PASSWORD_MAX_BYTES,
      defaultMessage: (args) => `${args?.property ?? 'password'} must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`,
    },
  });

export const NotCommonPassword = () =>
  ValidateBy({
    name: 'notCommonPassword',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !isCommonPassword(value),
      defaultMessage: (args) =>
        `${args?.property ?? 'password'} is one of the most commonly used passwords; choose another`,
    },
  });

/**
 * NIST SP 800-63B: length only, no composition rules, common passwords refused; Unicode welcome (NFKC before hashing).
 */
export const IsPassword = (
  description = 'Password, 8 to 128 characters (at most 512 UTF-8 bytes), not a commonly used one',
) =>
  applyDecorators(
    ApiProperty({
      minLength: PASSWORD_MIN,
      maxLength: PASSWORD_MAX,
      format: 'password',
      description,
      example: 'correct horse battery staple',
    }),
    IsString(),
    MinLength(PASSWORD_MIN),
    MaxLength(PASSWORD_MAX),
    MaxPasswordBytes(),
    NotCommonPassword(),
  );

/** A password being presented (login, current password): only bounded, never judged. */
export const IsPresentedPassword = () =>
  applyDecorators(
    ApiProperty({ format: 'password', maxLength: PASSWORD_MAX, example: 'correct horse battery staple' }),
    IsString(),
    MinLength(1),
    MaxLength(PASSWORD_MAX),
    MaxPasswordBytes(),
  );
