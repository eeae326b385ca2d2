import type { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { REFRESH_COOKIE, RefreshCookie } from './refresh-cookie.js';

const NOW = 1_770_000_000_000;
const clock: Clock = { now: () => NOW };
const config = {
  get: () => ({ publicUrl: 'https://auth.example.com/base', corsOrigins: ['https://app.example.com'] }),
} as unknown as ConfigService<AppConfig, true>;

function request(headers: Record<string, string>): FastifyRequest {
  // @fastify/cookie's parser, as far as these headers need it.
  const parseCookie = (h: string) => Object.fromEntries(h.split('; ').map((kv) => kv.split('=')));
  return { headers, server: { parseCookie } } as unknown as FastifyRequest;
}

function reply() {
  const calls: unknown[][] = [];
  const stub = {
    setCookie: (...a: unknown[]) => calls.push(['setCookie', ...a]),
    clearCookie: (...a: unknown[]) => calls.push(['clearCookie', ...a]),
    header: (...a: unknown[]) => calls.push(['header', ...a]),
  };
  return { reply: stub as unknown as FastifyReply, calls };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return [(e as { getStatus(): number }).getStatus(), (e as { getResponse(): { code: string } }).getResponse().code];
  }
  return 'no error';
};

describe('RefreshCookie', () => {
  const cookie = new RefreshCookie(clock, config);
  const withCookie = (more: Record<string, string> = {}) => ({ cookie: `a=1; ${REFRESH_COOKIE}=tok; b=2`, ...more });

  it('takes the body token first, without any CSRF check', () => {
    expect(cookie.presented(request(withCookie()), 'body-token')).toEqual({ token: 'body-token', from: 'body' });
  });

  it('reads the cookie with X-CSRF-Protection: 1 and no Origin, or an Origin of ours', () => {
    for (const origin of [undefined, 'https://auth.example.com', 'https://app.example.com']) {
      const headers = withCookie({ 'x-csrf-protection': '1', ...(origin ? { origin } : {}) });
      expect(cookie.presented(request(headers), undefined)).toEqual({ token: 'tok', from: 'cookie' });
    }
  });

  it.each([
    ['no header', {}],
    ['header 0', { 'x-csrf-protection': '0' }],
    ['header " 1"', { 'x-csrf-protection': ' 1' }],
    ['a foreign Origin', { 'x-csrf-protection': '1', origin: 'https://evil.example' }],
    ['PUBLIC_URL with its path as Origin', { 'x-csrf-protection': '1', origin: 'https://auth.example.com/base' }],
    ['Origin null', { 'x-csrf-protection': '1', origin: 'null' }],
  ])('refuses the cookie with %s: 403 csrf_rejected', (_, more) => {
    expect(codeOf(() => cookie.presented(request(withCookie(more)), undefined))).toEqual([403, 'csrf_rejected']);
  });

  it('answers 401 refresh_invalid with neither a body token nor the cookie', () => {
    for (const headers of [{} as Record<string, string>, { cookie: 'other=1' }, { cookie: `${REFRESH_COOKIE}=` }])
      expect(codeOf(() => cookie.presented(request({ ...headers, 'x-csrf-protection': '1' }), undefined))).toEqual([
        401,
        'refresh_invalid',
      ]);
  });

  const issued = {
    pair: { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer' as const, expiresIn: 900, sessionId: 's' },
    expiresAt: NOW + 86_400_500,
  };

  it('leaves the body form alone', () => {
    const { reply: r, calls } = reply();
    expect(cookie.deliver(r, issued)).toBe(issued.pair);
    expect(calls).toEqual([]);
  });

  it('moves the token into the cookie, Max-Age to the absolute expiry in whole seconds', () => {
    const { reply: r, calls } = reply();
    expect(cookie.deliver(r, issued, 'cookie')).toEqual({
      accessToken: 'a',
      tokenType: 'Bearer',
      expiresIn: 900,
      sessionId: 's',
    });
    expect(calls).toEqual([
      [
        'setCookie',
        REFRESH_COOKIE,
        'r',
        { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: 86_400 },
      ],
    ]);
  });

  it('clears with the attributes it was set with, and Clear-Site-Data', () => {
    const { reply: r, calls } = reply();
    cookie.clear(r);
    expect(calls).toEqual([
      ['clearCookie', REFRESH_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' }],
      ['header', 'Clear-Site-Data', '"cookies"'],
    ]);
  });
});
