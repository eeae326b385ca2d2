import { ConfigValidationError } from './config/env.validation.js';
import { DatabaseOpenError } from './database/database.module.js';

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'HOST is not an address of this machine',
  ENOTFOUND: 'HOST does not resolve',
  EAI_AGAIN: 'HOST does not resolve',
};

/** The service could not listen on HOST:PORT. */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: string } | null)?.code ?? '';
    const reason = LISTEN_REASONS[code] ?? (cause instanceof Error ? cause.message : String(cause));
    super(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (HOST, PORT): ${reason}`, { cause });
    this.name = 'ListenError';
  }
}

/**
 * The one line a failed start ends with, on stderr. The causes an operator can fix (configuration,
 * the database, the address) are named in it and need no stack; anything else is a bug, and
 * `unexpected` says to print its stack first.
 */
export function startupFailure(
  error: unknown,
  prefix = 'device-sessions failed to start',
): { line: string; unexpected: boolean } {
  if (error instanceof ConfigValidationError) return { line: error.message, unexpected: false };
  const known = error instanceof DatabaseOpenError || error instanceof ListenError;
  const message = error instanceof Error ? error.message : String(error);
  return { line: `${prefix}: ${message}`, unexpected: !known };
}
