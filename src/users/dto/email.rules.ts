import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { isEmail, IsString, Matches, MaxLength, ValidateBy } from 'class-validator';
import { normalizeEmail } from '../../common/email.js';

export { normalizeEmail };

/** A lone surrogate (not well-formed UTF-16): validator's isEmail throws a URIError on one. */
const LONE_SURROGATE = /\p{Cs}/u;

/** class-validator's IsEmail, but a string with a lone surrogate is no email (a 400) instead of a thrown URIError (a 500). */
const IsWellFormedEmail = () =>
  ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !LONE_SURROGATE.test(value) && isEmail(value),
      defaultMessage: (args) => `${args?.property ?? 'email'} must be an email`,
    },
  });

/**
 * Emails are normalized at the edge (NFKC, trimmed, lower case: see common/email.ts) and
 * validated in that form. Control and format characters (NUL,
 * right-to-left overrides, zero-width joiners) are refused: they let one address pass for another on screen.
 */
export const IsUserEmail = () =>
  applyDecorators(
    ApiProperty({ example: 'user@example.com', maxLength: 254 }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString(),
    MaxLength(254),
    IsWellFormedEmail(),
    Matches(/^[^\p{Cc}\p{Cf}]*$/u, { message: 'email must not contain control or invisible formatting characters' }),
  );
