import { RequestMethod } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/configuration.js';

/** A caller-supplied request id is kept (so logs join up across services) only when it looks like one. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'accessToken', 'token', 'secret'];
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
];

/**
 * Fastify's genReqId (it sets the raw request's id, which pino-http then reuses): a
 * caller-supplied X-Request-Id is kept so logs join up across services, else a fresh UUID.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export function pinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.app.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    // Probes hit these every few seconds; their outcome is in the orchestrator, not our logs.
    // (middie hands middleware a url relative to its mount; originalUrl is the real one.)
    autoLogging: { ignore: (req) => ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').startsWith('/health') },
    // The query string is part of `url`; no route of ours takes secrets there, and bodies are never logged.
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Structured JSON logs (nestjs-pino): a line per request with its id, and the same id on every log made while handling it. */
export function loggingModule(config: AppConfig, destination?: DestinationStream) {
  const options = pinoHttpOptions(config);
  return LoggerModule.forRoot({
    pinoHttp: destination ? [options, destination] : options,
    // nestjs-pino's default route pattern `{/*splat}` matches nothing under Nest 12's Fastify adapter (checked by test/logging).
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  });
}
