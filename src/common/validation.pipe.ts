import { ArgumentMetadata, Injectable, ValidationPipe, type ValidationError } from '@nestjs/common';
import { apiError } from './api-error.js';

/** A property name the 400 may quote: short and identifier-like, so never a pasted secret or 10 KB of junk. */
const QUOTABLE = /^[A-Za-z_$][\w$]{0,31}$/;

/**
 * The 400's messages, one per failed rule of a property. They name the property and the rule,
 * never the value (class-validator's default messages carry no `$value`, nor do ours); an unknown
 * property is named only when it looks like one, since a client's junk or a password can arrive
 * as a key. Nested errors are not walked: our bodies are flat, and a nested value fails as a whole.
 */
export function validationMessages(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const constraints = e.constraints ?? {};
    if ('whitelistValidation' in constraints)
      return [
        QUOTABLE.test(e.property) ? `property ${e.property} should not exist` : 'an unknown property should not exist',
      ];
    const messages = Object.values(constraints);
    return messages.length > 0 ? messages : [`${QUOTABLE.test(e.property) ? e.property : 'a property'} is invalid`];
  });
}

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
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => apiError(400, 'validation_failed', validationMessages(errors)),
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
