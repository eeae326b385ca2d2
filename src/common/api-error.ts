import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';

/**
 * The stable, machine-readable `code` of every error body (SPEC Part 2, "Identifiers and
 * errors"). Clients branch on these; messages may change, codes may not.
 */
export const ERROR_CODES = [
  'validation_failed',
  'unsupported_media_type',
  'payload_too_large',
  'token_missing',
  'token_invalid',
  'token_expired',
  'session_ended',
  'invalid_credentials',
  'invalid_client',
  'refresh_invalid',
  'refresh_reused',
  'forbidden',
  'reauth_required',
  'csrf_rejected',
  'account_disabled',
  'link_invalid',
  'not_found',
  'method_not_allowed',
  'email_taken',
  'conflict',
  'rate_limited',
  'service_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The code of an error that does not name its own: the one its status means. */
export const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'token_invalid',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
};

const CLASS_OF: Record<number, new (body: object) => HttpException> = {
  400: BadRequestException,
  401: UnauthorizedException,
  403: ForbiddenException,
  404: NotFoundException,
  409: ConflictException,
  503: ServiceUnavailableException,
};

/** An error body's own fields, as HttpException.getResponse() returns them. */
interface CodedBody {
  message: string | string[];
  code: ErrorCode;
}

/**
 * The HTTP error to throw: Nest's exception for the status (so `instanceof UnauthorizedException`
 * still holds), carrying its code. `retryAfterSeconds` becomes `Retry-After` (429, 503).
 */
export function apiError(
  status: number,
  code: ErrorCode,
  message: string | string[],
  retryAfterSeconds?: number,
): HttpException {
  const body: CodedBody = { message, code };
  const Class = CLASS_OF[status];
  const exception = Class ? new Class(body) : new HttpException(body, status);
  return Object.assign(exception, { retryAfterSeconds });
}

/** A 401 answering with another scheme than `Bearer` in its `WWW-Authenticate` (client authentication: `Basic`). */
export function withChallenge(exception: HttpException, challenge: string): HttpException {
  return Object.assign(exception, { challenge });
}

/** The `WWW-Authenticate` of a 401: the exception's own scheme, else `Bearer`. */
export function challengeOf(exception: unknown): string {
  const challenge = (exception as { challenge?: unknown } | null)?.challenge;
  return typeof challenge === 'string' ? challenge : 'Bearer';
}

export function codeOf(exception: unknown, status: number): ErrorCode {
  const body = exception instanceof HttpException ? exception.getResponse() : undefined;
  const code = (body as Partial<CodedBody> | undefined)?.code;
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)) return code;
  return DEFAULT_CODE[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}
