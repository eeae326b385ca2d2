import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { trim } from '../../common/transforms.js';

export const DEVICE_NAME_MAX = 100;

/**
 * A device's name as a user gives it (login's `deviceName`, a rename): trimmed, 1–100
 * characters, and no control, format (bidi overrides, zero-width joiners), surrogate or
 * line/paragraph separator characters — they let one device pass for another in the list.
 */
export const IsDeviceName = () =>
  applyDecorators(
    Transform(trim),
    IsString(),
    MinLength(1),
    MaxLength(DEVICE_NAME_MAX),
    Matches(/^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]*$/u, {
      message: 'deviceName must not contain control or invisible formatting characters',
    }),
  );
