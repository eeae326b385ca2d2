import { loadConfig } from '../config/configuration.js';
import { createLogger, loggedUrl, requestId, requestLoggerFactory, withoutQueryValues } from './logging.js';

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
});
