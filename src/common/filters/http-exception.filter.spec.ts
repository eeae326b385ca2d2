import { ArgumentsHost, UnauthorizedException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { HttpExceptionFilter } from './http-exception.filter.js';

function run(exception: unknown) {
  const headers: Record<string, string> = {};
  const sent: { status?: number; body?: unknown } = {};
  const logged: { level: string; fields: unknown; msg: unknown }[] = [];
  const log = (level: string) => (fields: unknown, msg: unknown) => void logged.push({ level, fields, msg });
  const reply = {
    request: { log: { warn: log('warn'), error: log('error') } },
    header: (k: string, v: string) => ((headers[k] = v), reply),
    hasHeader: (k: string) => k in headers,
    status: (s: number) => ((sent.status = s), reply),
    send: (b: unknown) => ((sent.body = b), reply),
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return { ...sent, headers, logged };
}

const connError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:3306`), { code, fatal: true });

describe('HttpExceptionFilter', () => {
  it('adds WWW-Authenticate to 401', () => {
    expect(run(new UnauthorizedException('Session has ended'))).toEqual({
      status: 401,
      body: { statusCode: 401, code: 'token_invalid', error: 'Unauthorized', message: 'Session has ended' },
      headers: { 'WWW-Authenticate': 'Bearer' },
      logged: [],
    });
  });

  it.each(['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET'])(
    'maps a %s database error to 503 with Retry-After, no internals',
    (code) => {
      for (const e of [
        connError(code),
        new QueryFailedError('SELECT * FROM users WHERE id = ?', ['x'], connError(code)),
      ]) {
        const res = run(e);
        expect(res.status).toBe(503);
        expect(res.headers['Retry-After']).toBe('5');
        expect(JSON.stringify(res.body)).not.toMatch(/SELECT|10\.0\.0\.5|ECONN|PROTOCOL/);
      }
    },
  );

  it.each([
    ['ER_LOCK_DEADLOCK', 1213, 'Deadlock found when trying to get lock; try restarting transaction'],
    ['ER_LOCK_WAIT_TIMEOUT', 1205, 'Lock wait timeout exceeded; try restarting transaction'],
  ])('maps a %s that outlasted its retries to 503 service_unavailable with Retry-After', (code, errno, message) => {
    const e = new QueryFailedError(
      'INSERT INTO sessions (id, ip_address) SELECT ?, ? FROM users WHERE id = ?',
      ['s1', '203.0.113.7', 'u1'],
      Object.assign(new Error(message), { code, errno, sql: "INSERT … '203.0.113.7'" }),
    );
    const res = run(e);
    expect(res).toMatchObject({
      status: 503,
      body: { statusCode: 503, code: 'service_unavailable', error: 'Service Unavailable' },
      headers: { 'Retry-After': '5' },
    });
    expect(JSON.stringify(res.logged)).not.toMatch(/203\.0\.113\.7|INSERT/);
    expect(JSON.stringify(res.logged)).toContain('lock conflict');
  });

  it('maps Redis refusing commands while disconnected to 503', () => {
    expect(run(new Error("Stream isn't writeable and enableOfflineQueue options is false")).status).toBe(503);
  });

  it('keeps SQL and stack traces of other errors out of the 500 body', () => {
    const e = new QueryFailedError(
      "INSERT INTO users (email) VALUES ('a@b.c')",
      [],
      Object.assign(new Error('ER_PARSE_ERROR near users'), { code: 'ER_PARSE_ERROR' }),
    );
    const res = run(e);
    expect(res).toMatchObject({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
      headers: {},
    });
    // …and logged, with the stack, on the request's logger (so under its reqId).
    expect(res.logged).toEqual([
      { level: 'error', fields: { context: 'ExceptionFilter', err: e }, msg: 'unhandled error' },
    ]);
  });

  it.each([null, undefined, 'a string', 42])('survives throwing %p', (thrown) => {
    expect(run(thrown).status).toBe(500);
  });
});
