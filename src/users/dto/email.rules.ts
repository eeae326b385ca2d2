import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength } from 'class-validator';
import { normalizeEmail } from '../../common/email.js';

export { normalizeEmail };

/**
 * Emails are normalized at the edge (NFKC, trimmed, lower case: see common/email.ts) and
 * validated in that form. Control and format characters (NUL,
 * right-to-left overrides, zero-width joiners) are refused: they let one address pass for another on screen.
 */
export const IsUserEmail = () =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', maxLength: 254 }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString(),
    MaxLength(254),
    IsEmail(),
    Matches(/^[^\p{Cc}\p{Cf}]*$/u, { message: 'email must not contain control or invisible formatting characters' }),
  );
