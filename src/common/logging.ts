import type { LoggerService } from '@nestjs/common';
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  pino,
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Level,
  type Logger as Pino,
} from 'pino';
import type { AppConfig } from '../config/configuration.js';

/** A caller-supplied request id is kept (so logs join up across services) only when it looks like one. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'accessToken', 'token', 'secret'];
const REDACTED_PATHS = [
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

/**
 * Fastify's per-request logger, made on the first line actually written: a pino child costs a
 * few µs (our redaction runs over its bindings), and most requests write nothing until their
 * "request completed" line — none at all at LOG_LEVEL=warn when they succeed. Measured with
 * `npm run bench`: ~6–12 µs of server CPU per request.
 */
class LazyRequestLogger {
  private made?: Pino;

  constructor(
    private readonly parent: Pino,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): Pino {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.parent.level;
  }

  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Pino {
    return this.logger.child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  private write(level: Level, args: unknown[]): void {
    if (!this.parent.isLevelEnabled(level)) return;
    const logger = this.logger;
    Reflect.apply(logger[level], logger, args);
  }
  silent(): void {}
}

/** Fastify's `childLoggerFactory`. A route with its own log level gets a real child at once. */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (options.level !== undefined) return logger.child(bindings, options);
  return new LazyRequestLogger(logger as Pino, bindings, options);
}

/** Why a request failed, as its error response said; noted by the exception filter. */
const failures = new WeakMap<FastifyRequest, string>();

export function noteFailure(request: FastifyRequest, message: unknown): void {
  failures.set(request, Array.isArray(message) ? message.join('; ') : String(message));
}

/**
 * Fastify's per-request lines, our way: one line when the response is sent ("request
 * completed", at info, warn for 4xx, error for 5xx, with the error response's message as
 * `failure`) instead of Fastify's pair at info; health probes left out (their outcome is in
 * the orchestrator).
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
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        req: request,
        res: reply,
        failure: failures.get(request),
        err: error ?? undefined,
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}

/** Fastify's logging options: our logger, request ids, one line per request, lazy per-request children. */
export function fastifyLogging(logger: Pino) {
  return {
    loggerInstance: logger,
    logController: new RequestLogController(),
    childLoggerFactory: requestLoggerFactory,
    genReqId: requestId,
    requestIdHeader: false as const,
  };
}

const NEST_LEVELS = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
} as const;

/**
 * Nest's LoggerService on pino. Nest passes the logger's context (its class name) as the last
 * argument, and `error(message, stack, context)` the stack before it. Service lines are not
 * tied to a request: that would take an AsyncLocalStorage, whose promise hooks cost ~10 % of
 * the throughput on Node 20 (`npm run bench`). The request's own line (with `reqId`) carries
 * why it failed, and service lines name the session or user they are about.
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
    const logger = this.root;
    const level = NEST_LEVELS[method];
    if (!logger.isLevelEnabled(level)) return;
    const context = params.length > 0 && typeof params.at(-1) === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (method === 'error' && typeof params[0] === 'string') fields.stack = params.shift();
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
