import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './api-error.js';

/** The body of every error response. */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({
    enum: ERROR_CODES,
    example: 'validation_failed',
    description: 'Stable machine-readable code: branch on it, never on the message text',
  })
  code: ErrorCode;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['email must be an email'],
  })
  message: string | string[];
}
