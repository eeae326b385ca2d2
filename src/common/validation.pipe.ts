import { apiError } from './api-error.js';
import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';

/**
 * The one global pipe: unknown properties are 400, values are transformed to the DTO types,
 * and a body that is not a JSON object (an array, a string, a number) is 400 too — class-validator
 * alone would validate an array element-wise, or nothing.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      stopAtFirstError: false,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      metadata.metatype &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw apiError(400, 'validation_failed', 'Request body must be a JSON object');
    }
    return super.transform(value ?? {}, metadata);
  }
}
