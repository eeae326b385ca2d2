import { loadConfig } from '../config/configuration.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createLogger,
  loggedUrl,
  noteClaimedSession,
  noteFailure,
  RequestLogController,
  requestId,
  requestLoggerFactory,
  withoutQueryValues,
} from './logging.js';

describe('logging', () => {
  it('redacts passwords and tokens wherever a logged object carries them, up to two levels down', () => {
    const lines: string[] = [];
    const logger = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (l: string) => void lines.push(l) });
    logger.info({
      password: 'p1',
      body: { refreshToken: 'r1', newPassword: 'p2' },
      dto: { inner: { accessToken: 'a1' } },
      headers: { authorization: 'Bearer t1', cookie: 'c1' },
      email: 'kept@example.com',
    });
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      password: '[Redacted]',
      body: { refreshToken: '[Redacted]', newPassword: '[Redacted]' },
      dto: { inner: { accessToken: '[Redacted]' } },
      headers: { authorization: '[Redacted]', cookie: '[Redacted]' },
      email: 'kept@example.com',
    });
  });

  it('makes the per-request child logger only when a line is written, with its bindings', () => {
    const lines: string[] = [];
    const root = createLogger(loadConfig({ LOG_LEVEL: 'warn' }), { write: (l: string) => void lines.push(l) });
    const child = jest.spyOn(root, 'child');
    const log = requestLoggerFactory(root, { reqId: 'r-1' }, {});
    log.info('quiet at warn');
    log.debug('quieter');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    log.warn({ password: 'p1' }, 'written');
    log.error('again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { level: 40, reqId: 'r-1', password: '[Redacted]', msg: 'written' },
      { level: 50, reqId: 'r-1', msg: 'again' },
    ]);
    // A route with its own level gets a real child at once.
    expect(requestLoggerFactory(root, { reqId: 'r-2' }, { level: 'debug' }).level).toBe('debug');
  });

  it('logs URLs with their query keys only', () => {
    expect(loggedUrl('/v1/sessions')).toBe('/v1/sessions');
    expect(loggedUrl('/v1/sessions?status=all&limit=5')).toBe('/v1/sessions?status=&limit=');
    expect(loggedUrl('/v1/x?a&&b=1=2&c=')).toBe('/v1/x?a=&b=&c=');
    expect(loggedUrl('/v1/x?')).toBe('/v1/x?');
    // A value sent as a bare key (`?<token>`) is not a name: it is not logged either.
    expect(loggedUrl('/v1/x?eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl')).toBe('/v1/x?_=');
    expect(loggedUrl('/v1/x?filter%5Bstatus%5D=a&a+b=1')).toBe('/v1/x?filter%5Bstatus%5D=&_=');
  });

  it('cuts query values out of free text: an error message that quotes the URL', () => {
    expect(withoutQueryValues('Cannot GET /v1/x?token=abc&limit=2')).toBe('Cannot GET /v1/x?token=&limit=');
    expect(withoutQueryValues("'/v1/x?token=abc' is not valid")).toBe("'/v1/x?token=' is not valid");
    expect(withoutQueryValues('Try again? Later.')).toBe('Try again? Later.');
    const lines: string[] = [];
    const logger = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (l: string) => void lines.push(l) });
    logger.error({ err: new Error('fetch /v1/x?token=abc failed') }, 'unhandled error');
    expect(lines.join('')).not.toContain('abc');
    expect(JSON.parse(lines[0]).err.message).toBe('fetch /v1/x?token= failed');
  });

  it('uses LOG_LEVEL', () => {
    expect(createLogger(loadConfig({ LOG_LEVEL: 'debug' })).level).toBe('debug');
  });

  it('keeps a well-formed X-Request-Id and mints a UUID otherwise', () => {
    const req = (id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as never;
    expect(requestId(req('lb-1234.5:6'))).toBe('lb-1234.5:6');
    expect(requestId(req('x'.repeat(65)))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestId(req('<script>'))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestId(req())).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('the access line', () => {
    const capture = () => {
      const lines: string[] = [];
      const logger = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (l: string) => void lines.push(l) });
      return { lines, logger, access: new RequestLogController(logger) };
    };
    const request = (over: Record<string, unknown> = {}) =>
      ({
        id: 'req-1',
        method: 'GET',
        url: '/v1/auth/me?access_token=secret&x=1',
        ip: '203.0.113.7',
        headers: { 'user-agent': 'Ünïcode "quoted" \\ back\nslash \u2028 \ud800 agent', authorization: 'Bearer t' },
        ...over,
      }) as unknown as FastifyRequest;
    const reply = (statusCode: number) => ({ statusCode, elapsedTime: 1.23456 }) as unknown as FastifyReply;
    /** The line pino itself writes for the same fields, in the same order, through the same serializers. */
    const pinoLine = (logger: ReturnType<typeof createLogger>, level: 'info' | 'warn', fields: object) => {
      const lines: string[] = [];
      const same = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (l: string) => void lines.push(l) });
      same.child({}, { redact: { paths: [] } })[level](fields, 'request completed');
      return lines[0];
    };
    const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

    it('is, byte for byte but its time, the line pino writes for its fields', () => {
      const { lines, logger, access } = capture();
      const user = { userId: 'u-1', sessionId: 's-1' };
      const req = request({ user });
      access.requestCompleted(null, req, reply(200));
      expect(lines).toHaveLength(1);
      expect(lines[0].endsWith('}\n')).toBe(true);
      const expected = pinoLine(logger, 'info', {
        reqId: 'req-1',
        req,
        res: reply(200),
        responseTime: 1.235,
        userId: 'u-1',
        sessionId: 's-1',
      });
      expect(withoutTime(lines[0])).toBe(withoutTime(expected));
      expect(lines[0]).not.toMatch(/secret|Bearer/);
    });

    it('carries the failure and the claimed session of a refused request, and leaves out what is unknown', () => {
      const { lines, logger, access } = capture();
      const req = request({ ip: undefined, headers: {} });
      noteFailure(req, 'Session has ended');
      noteClaimedSession(req, { userId: 'u-2', sessionId: 's-2' });
      access.requestCompleted(null, req, reply(401));
      const expected = pinoLine(logger, 'warn', {
        reqId: 'req-1',
        req,
        res: reply(401),
        responseTime: 1.235,
        userId: 'u-2',
        sessionId: 's-2',
        failure: 'Session has ended',
      });
      expect(withoutTime(lines[0])).toBe(withoutTime(expected));
    });

    it('goes through pino, error fields and all, when the request ended in an error', () => {
      const { lines, access } = capture();
      access.requestCompleted(new Error('boom'), request(), reply(500));
      expect(JSON.parse(lines[0])).toMatchObject({ level: 50, msg: 'request completed', err: { message: 'boom' } });
    });
  });
});
