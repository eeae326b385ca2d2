import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ErrorCode } from './api-error.js';
import { ErrorResponse } from './error.response.js';

const REASONS: Record<number, string> = {
  400: 'Invalid input',
  401: 'Not authenticated',
  403: 'Refused',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body over BODY_LIMIT',
  415: 'Content-Type is not the one the route takes (application/json; the OAuth routes: a form)',
  429: 'Rate-limited; retry after Retry-After',
  503: 'A dependency is unreachable; retry after Retry-After',
};

/** The error answers of routes with a JSON body. */
export const BODY_ERRORS = {
  400: ['validation_failed'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
} satisfies Record<number, ErrorCode[]>;

/** Every bearer-authenticated route's. */
export const BEARER_ERRORS = {
  401: ['token_missing', 'token_invalid', 'token_expired', 'session_ended'],
  503: ['service_unavailable'],
} satisfies Record<number, ErrorCode[]>;

/** 429 and 503 of the public routes: the rate limits, and a database or Redis away. */
export const PUBLIC_ERRORS = {
  429: ['rate_limited'],
  503: ['service_unavailable'],
} satisfies Record<number, ErrorCode[]>;

/**
 * Documents a route's error answers by status, each with the `code`s it can carry (SPEC
 * "Identifiers and errors": the OpenAPI document lists them), as ErrorResponse with `code`
 * narrowed to those values, so generated clients can switch on them.
 */
export function ApiErrors(...groups: Partial<Record<number, readonly ErrorCode[]>>[]) {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const group of groups)
    for (const [status, codes] of Object.entries(group)) {
      const set = byStatus.get(Number(status)) ?? new Set<ErrorCode>();
      for (const code of codes ?? []) set.add(code);
      byStatus.set(Number(status), set);
    }
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...[...byStatus].map(([status, set]) => {
      const codes = [...set];
      return ApiResponse({
        status,
        description: `${REASONS[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}`,
        schema: {
          allOf: [
            { $ref: getSchemaPath(ErrorResponse) },
            {
              type: 'object',
              properties: {
                statusCode: { type: 'number', example: status },
                code: { type: 'string', enum: codes, example: codes[0] },
              },
            },
          ],
        },
      });
    }),
  );
}
