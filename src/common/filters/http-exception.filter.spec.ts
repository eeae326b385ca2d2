import { ArgumentsHost, Logger, UnauthorizedException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { HttpExceptionFilter } from './http-exception.filter.js';

function run(exception: unknown) {
  const headers: Record<string, string> = {};
  const sent: { status?: number; body?: unknown } = {};
  const reply = {
    header: (k: string, v: string) => ((headers[k] = v), reply),
    status: (s: number) => ((sent.status = s), reply),
    send: (b: unknown) => ((sent.body = b), reply),
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return { ...sent, headers };
}

const connError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:3306`), { code, fatal: true });

describe('HttpExceptionFilter', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('adds WWW-Authenticate to 401', () => {
    expect(run(new UnauthorizedException('Session has ended'))).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Session has ended' }, headers: { 'WWW-Authenticate': 'Bearer' } });
  });

  it.each(['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET'])('maps a %s database error to 503 with Retry-After, no internals', (code) => {
    for (const e of [connError(code), new QueryFailedError('SELECT * FROM users WHERE id = ?', ['x'], connError(code))]) {
      const res = run(e);
      expect(res.status).toBe(503);
      expect(res.headers['Retry-After']).toBe('5');
      expect(JSON.stringify(res.body)).not.toMatch(/SELECT|10\.0\.0\.5|ECONN|PROTOCOL/);
    }
  });

  it('maps Redis refusing commands while disconnected to 503', () => {
    expect(run(new Error("Stream isn't writeable and enableOfflineQueue options is false")).status).toBe(503);
  });

  it('keeps SQL and stack traces of other errors out of the 500 body', () => {
    const res = run(new QueryFailedError("INSERT INTO users (email) VALUES ('a@b.c')", [], Object.assign(new Error('ER_PARSE_ERROR near users'), { code: 'ER_PARSE_ERROR' })));
    expect(res).toEqual({ status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' }, headers: {} });
  });

  it.each([null, undefined, 'a string', 42])('survives throwing %p', (thrown) => {
    expect(run(thrown).status).toBe(500);
  });
});
