import type { LoggerService } from '@nestjs/common';
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
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
import type { AuthContext } from './auth-context.js';

/** A caller-supplied request id is kept (so logs join up across services) only when it looks like one. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'refreshToken',
  'accessToken',
  'token',
  'secret',
  'authorization',
  'cookie',
];
const REDACTED_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)];

/** Log lines held while stdout does not take them (a stalled pipe, a slow collector); past this they are dropped, and counted. */
export const LOG_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * Lines go to stdout in batches of about this many characters, or after LOG_BATCH_MS at the
 * latest: a write per line cost more CPU than the line's own formatting.
 */
const LOG_BATCH_CHARS = 64 * 1024;
const LOG_BATCH_MS = 100;

/** A User-Agent is the client's to choose: longer ones are cut, as the login audit cuts them. */
const MAX_LOGGED_USER_AGENT = 512;

/** A query key that looks like a name; anything else (a bare `?<token>`) is logged as `_`. */
const QUERY_KEY = /^[\w.%[\]-]{1,40}$/;

/** `?a=1&b=2` as `?a=&b=`: the keys of a query string, never its values (SPEC: logs carry no query value). */
function queryKeysOnly(query: string): string {
  let out = '';
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    out += `${out ? '&' : ''}${QUERY_KEY.test(key) ? key : '_'}=`;
  }
  return out;
}

/** A request's URL as it may be logged: the path, and the query's keys only. */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?${queryKeysOnly(url.slice(q + 1))}`;
}

/** Free text (an error's message, which may quote the URL) with every query string cut down to its keys. */
export function withoutQueryValues(text: string): string {
  return text.indexOf('?') === -1
    ? text
    : text.replace(/\?([^\s'"`?]+)/g, (_, query: string) => `?${queryKeysOnly(query)}`);
}

/**
 * Fastify's genReqId: a caller-supplied X-Request-Id is kept so logs join up across
 * services, else a fresh UUID.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** How every line shows a request, Fastify's own lines included: no headers but the User-Agent, no query value. */
function serializeRequest(req: FastifyRequest) {
  const ua = req.headers['user-agent'];
  return {
    method: req.method,
    url: loggedUrl(req.url),
    remoteAddress: req.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, MAX_LOGGED_USER_AGENT) : undefined,
  };
}

/**
 * What a failed statement carries that must not reach a log: TypeORM's QueryFailedError has the
 * statement (`query`) and its `parameters` (an IP, a User-Agent, a refresh token's hash and seed…),
 * and copies the driver's fields onto itself: mysql2's `sql` is the text with the values in it.
 */
const STATEMENT_FIELDS = ['query', 'parameters', 'sql', 'sqlMessage', 'driverError'];

const isStatementError = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && STATEMENT_FIELDS.some((k) => k in e);

/**
 * A database's message may quote a value (MySQL: "Duplicate entry '<email>' for key …",
 * "… near '<statement>'"): every quoted literal goes, but the names of keys, columns and tables.
 */
const QUOTED_VALUE = /(?<!\b(?:key|column|table|database|index|constraint|function) )'(?:[^'\\]|\\.|'')*'/gi;

/** An error's message as it may be logged: no query-string value, and no value a database quoted from a statement. */
export function safeErrorMessage(e: unknown): string {
  const message = withoutQueryValues(String((e as { message?: unknown } | null)?.message ?? e));
  return isStatementError(e) ? message.replace(QUOTED_VALUE, "'…'") : message;
}

/** pino's error fields, without what a failed statement carries (STATEMENT_FIELDS), at any depth (`cause`). */
function withoutStatement(out: Record<string, unknown>, statement: boolean, depth = 0): void {
  if (statement) {
    for (const k of STATEMENT_FIELDS) delete out[k];
    if (typeof out.message === 'string') out.message = out.message.replace(QUOTED_VALUE, "'…'");
    if (typeof out.stack === 'string') out.stack = out.stack.replace(QUOTED_VALUE, "'…'");
  }
  if (depth > 3) return;
  for (const v of Object.values(out))
    if (typeof v === 'object' && v !== null)
      withoutStatement(v as Record<string, unknown>, isStatementError(v), depth + 1);
}

function serializeError(err: Error) {
  const out = pino.stdSerializers.err(err);
  if (typeof out.message === 'string') out.message = withoutQueryValues(out.message);
  if (typeof out.stack === 'string') out.stack = withoutQueryValues(out.stack);
  withoutStatement(out, isStatementError(err));
  return out;
}

/**
 * A file descriptor (stdout: 1) written asynchronously (sonic-boom), so a slow or stalled reader
 * never blocks the event loop. Lines are handed to sonic-boom in batches (LOG_BATCH_CHARS, or
 * after LOG_BATCH_MS): sonic-boom measures its whole pending chunk on every write, which line by
 * line cost about as much as the line's own formatting. While the descriptor does not take them,
 * lines wait in memory up to `maxBytes`; past that they are dropped, and once it drains one line
 * (by the logger made on it) says how many. Lines still waiting when the process ends, however
 * it ends, are written then, synchronously (on `exit`).
 */
export class AsyncDestination {
  private lines: string[] = [];
  private length = 0;
  private timer?: NodeJS.Timeout;
  private dropped = 0;
  private closed = false;
  /** The logger that reports dropped lines: the last one made on this destination. */
  reporter?: Pino;
  private readonly sonic: ReturnType<typeof pino.destination>;
  private readonly onExit = () => this.flushSync();

  constructor(
    private readonly fd: number,
    maxBytes = LOG_BUFFER_BYTES,
  ) {
    this.sonic = pino.destination({ dest: fd, sync: false, maxLength: maxBytes });
    this.sonic.on('drop', (batch: string) => {
      for (let i = batch.indexOf('\n'); i !== -1; i = batch.indexOf('\n', i + 1)) this.dropped++;
    });
    this.sonic.on('drain', () => {
      if (this.dropped === 0 || !this.reporter) return;
      this.reporter.warn(
        { dropped: this.dropped },
        `${this.dropped} log lines dropped: the log destination did not take them`,
      );
      this.dropped = 0;
    });
    this.sonic.once('close', () => (this.closed = true));
    process.on('exit', this.onExit);
  }

  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= LOG_BATCH_CHARS) this.handOver();
    // Not unref'd: a process with nothing else left to do still writes its last lines before it ends.
    else this.timer ??= setTimeout(this.onTimer, LOG_BATCH_MS);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.handOver();
  };

  private handOver(): void {
    if (this.lines.length === 0 || this.closed) return;
    const batch = this.lines.join('');
    this.lines = [];
    this.length = 0;
    this.sonic.write(batch);
  }

  /**
   * At exit (process.exit, say after the shutdown timeout): what waits is written synchronously,
   * since no later turn will complete an asynchronous write.
   */
  private flushSync(): void {
    if (this.closed) return;
    this.sonic.flushSync(); // what sonic-boom holds, after any write it has under way
    let rest = Buffer.from(this.lines.join(''));
    this.lines = [];
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(this.fd, rest));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // nowhere left to write them
        Atomics.wait(EXIT_PAUSE, 0, 0, 10); // a non-blocking descriptor that is full: let its reader catch up
      }
    }
  }

  /** Writes what waits, then closes the descriptor. */
  end(): Promise<void> {
    process.off('exit', this.onExit);
    clearTimeout(this.timer);
    this.handOver();
    return new Promise((resolve) => {
      this.sonic.once('close', () => resolve());
      this.sonic.end();
    });
  }
}

/** Something to wait on for a few ms, synchronously. */
const EXIT_PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** One stdout destination per process, however many apps it builds. */
let stdout: AsyncDestination | undefined;

/**
 * The process's one pino logger, on stdout unless a destination is given (tests capture
 * lines). Fastify gives each request a child of it bound to `reqId`; Nest's Logger writes
 * through it (PinoNestLogger). Bodies are never logged; URLs only with their query keys.
 */
export function createLogger(config: AppConfig, destination?: DestinationStream): Pino {
  // fd 1 itself: process.stdout would be a second writer on the same pipe, and a synchronous one.
  const dest = destination ?? (stdout ??= new AsyncDestination(1));
  const options = {
    level: config.app.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req: serializeRequest,
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
      err: serializeError,
    },
  };
  const logger = pino(options, dest);
  if (dest instanceof AsyncDestination) dest.reporter = logger;
  return logger;
}

/**
 * Fastify's per-request logger, made on the first line actually written: a pino child costs a
 * few µs (our redaction runs over its bindings), and most requests write nothing through it —
 * their access line has its own logger (RequestLogController).
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

/** What the access line says about a request that the request itself does not carry. */
interface RequestNote {
  failure?: string;
  /** Whose verified token a refused request carried (an accepted one leaves its AuthContext as `request.user`). */
  claimed?: AuthContext;
}
const notes = new WeakMap<FastifyRequest, RequestNote>();

function note(request: FastifyRequest): RequestNote {
  let n = notes.get(request);
  if (!n) notes.set(request, (n = {}));
  return n;
}

/** Why a request failed, as its error response said; noted by the exception filter. */
export function noteFailure(request: FastifyRequest, message: unknown): void {
  note(request).failure = withoutQueryValues(Array.isArray(message) ? message.join('; ') : String(message));
}

/** The user and session a verified token named, for the line of a request the session check then refused. */
export function noteClaimedSession(request: unknown, claimed: AuthContext): void {
  note(request as FastifyRequest).claimed = claimed;
}

/** Health probes (their outcome is the orchestrator's) and static files: their lines are `debug`. */
function isQuiet(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/health' || path.startsWith('/health/') || path === '/favicon.ico') return true;
  return (path.startsWith('/account/') || path.startsWith('/docs/')) && path.lastIndexOf('.') > path.lastIndexOf('/');
}

/**
 * The access log: one line per request when its response is sent ("request completed"), at
 * info, warn for 4xx, error for 5xx, with the error response's message as `failure`; health
 * probes and static files at debug. Instead of Fastify's pair of lines at info, and not
 * through the request's child logger: the line is written by `access`, a child of the root
 * logger without its redaction, which would cost more than the rest of the line (it walks
 * every field two levels deep). The line carries only the fields named here: no header but
 * the User-Agent, no query value, no body.
 */
export class RequestLogController extends LogController {
  private readonly access: Pino;
  private readonly stream: DestinationStream;
  private readonly levels: Record<string, number>;
  /** The root logger's bindings as pino writes them (`,"pid":…,"hostname":"…"`). */
  private readonly bindings: string;

  constructor(logger: Pino) {
    super();
    this.access = logger.child({}, { redact: { paths: [] } });
    const internals = this.access as unknown as Record<symbol, unknown>;
    this.stream = internals[pino.symbols.streamSym] as DestinationStream;
    this.bindings = internals[pino.symbols.chindingsSym] as string;
    this.levels = this.access.levels.values;
  }

  override incomingRequest(): void {}

  /** Nest answers unknown routes itself; were Fastify's handler to answer, the access line says 404 without the query. */
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const level: Level = isQuiet(request.url)
      ? 'debug'
      : error || status >= 500
        ? 'error'
        : status >= 400
          ? 'warn'
          : 'info';
    if (!this.access.isLevelEnabled(level)) return;
    const note = notes.get(request);
    const auth = (request as { user?: AuthContext }).user ?? note?.claimed;
    const responseTime = Math.round(reply.elapsedTime * 1000) / 1000;
    if (!error) {
      this.stream.write(this.line(level, request, status, responseTime, auth, note?.failure));
      return;
    }
    this.access[level](
      {
        reqId: request.id,
        req: request,
        res: reply,
        responseTime,
        userId: auth?.userId,
        sessionId: auth?.sessionId,
        failure: note?.failure,
        err: error,
      },
      'request completed',
    );
  }

  /**
   * The line pino writes for these fields (level, time, the root's bindings, the fields in this order,
   * msg), put together directly: pino's generic path (serializer lookup, a type test and a stringify per
   * value) cost about as much again as the line's own strings. A line with an error goes through pino.
   */
  private line(
    level: Level,
    request: FastifyRequest,
    status: number,
    responseTime: number,
    auth: AuthContext | undefined,
    failure: string | undefined,
  ): string {
    const r = serializeRequest(request);
    return (
      `{"level":${this.levels[level]},"time":${Date.now()}${this.bindings},"reqId":${JSON.stringify(String(request.id))}` +
      `,"req":{"method":${JSON.stringify(r.method)},"url":${JSON.stringify(r.url)}` +
      (r.remoteAddress === undefined ? '' : `,"remoteAddress":${JSON.stringify(r.remoteAddress)}`) +
      (r.userAgent === undefined ? '' : `,"userAgent":${JSON.stringify(r.userAgent)}`) +
      `},"res":{"statusCode":${status}},"responseTime":${responseTime}` +
      (auth?.userId === undefined ? '' : `,"userId":${JSON.stringify(auth.userId)}`) +
      (auth?.sessionId === undefined ? '' : `,"sessionId":${JSON.stringify(auth.sessionId)}`) +
      (failure === undefined ? '' : `,"failure":${JSON.stringify(failure)}`) +
      `,"msg":"request completed"}\n`
    );
  }
}

/** Fastify's logging options: our logger, request ids, the access line, lazy per-request children. */
export function fastifyLogging(logger: Pino) {
  return {
    loggerInstance: logger,
    logController: new RequestLogController(logger),
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
