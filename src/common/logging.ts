import type { LoggerService } from '@nestjs/common';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Level, type Logger as Pino } from 'pino';
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
 * Fastify's genReqId: a caller-supplied X-Request-Id is kept so logs join up across
 * services, else a fresh UUID.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The process's one pino logger. Fastify gives each request a child of it bound to `reqId`;
 * Nest's Logger writes through it (PinoNestLogger). The query string is part of `url`; no
 * route of ours takes secrets there, and bodies are never logged.
 */
export function createLogger(config: AppConfig, destination?: DestinationStream): Pino {
  const options = {
    level: config.app.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: req.url, headers: req.headers, remoteAddress: req.ip }),
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The logger of the request being handled, for log lines written by services (see PinoNestLogger). */
const requestLogger = new AsyncLocalStorage<Pino>();

/**
 * Fastify's per-request lines, our way: one line when the response is sent ("request
 * completed", at info, warn for 4xx, error for 5xx) instead of Fastify's pair at info; health
 * probes left out (their outcome is in the orchestrator). Every line written while a request
 * is handled carries its `reqId`.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ disableRequestLogging: (req: { url?: string }) => (req.url ?? '').startsWith('/health') });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const status = reply.statusCode;
    const level: Level = error || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    const log = request.log as Pino;
    if (log.isLevelEnabled(level)) log[level]({ req: request, res: reply, err: error ?? undefined, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Binds the request's logger for the rest of its handling. preHandler, not onRequest: it runs
 * after the body is read, so guards, handlers and filters (which Nest runs inside the route
 * handler) all see it.
 */
export function registerRequestLogger(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => requestLogger.run(request.log as Pino, done));
}

const NEST_LEVELS = { log: 'info', error: 'error', warn: 'warn', debug: 'debug', verbose: 'trace', fatal: 'fatal' } as const;

/**
 * Nest's LoggerService on pino. Nest passes the logger's context (its class name) as the last
 * argument, and `error(message, stack, context)` the stack before it; a line written while a
 * request is handled goes through that request's logger, so it carries its `reqId`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(method: keyof typeof NEST_LEVELS, message: unknown, params: unknown[]): void {
    const logger = requestLogger.getStore() ?? this.root;
    const level = NEST_LEVELS[method];
    if (!logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (method === 'error' && typeof rest[0] === 'string') fields.stack = rest.shift();
    if (message instanceof Error) {
      fields.err = message;
      logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message });
    } else {
      logger[level](fields, String(message));
    }
  }
}
