import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength } from 'class-validator';

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/**
 * Emails are trimmed and compared case-insensitively. Control and format characters (NUL,
 * right-to-left overrides, zero-width joiners) are refused: they let one address pass for another on screen.
 */
export const IsUserEmail = () =>
  applyDecorators(
    ApiProperty({ example: 'user@example.com', maxLength: 254 }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString(),
    MaxLength(254),
    IsEmail(),
    Matches(/^[^\p{Cc}\p{Cf}]*$/u, { message: 'email must not contain control or invisible formatting characters' }),
  );
