import { loadConfig } from './configuration.js';
import { ConfigValidationError } from './env.validation.js';

const ok = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.app).toMatchObject({
      env: 'development',
      port: 3000,
      trustProxy: false,
      corsOrigins: [],
      bodyLimit: 16_384,
      shutdownGraceMs: 25_000,
    });
    expect(c.auth).toMatchObject({
      rateLimitPerIp: 30,
      rateLimitWindow: 60,
      loginFailuresPerAccount: 10,
      loginFailuresWindow: 900,
      reauthMaxAge: 600,
      secretIsEphemeral: true,
    });
    expect(c.redis.url).toBeUndefined();
  });

  it('derives separate keys from one secret, the same on every instance', () => {
    const a = loadConfig({ ...ok, JWT_SECRET: 's'.repeat(32) });
    const b = loadConfig({ ...ok, JWT_SECRET: 's'.repeat(32) });
    expect(a.auth.auditKey.equals(b.auth.auditKey)).toBe(true);
    expect(a.auth.auditKey.equals(a.auth.refreshKey)).toBe(false);
  });

  it.each([
    [
      'NODE_ENV=production without JWT_SECRET',
      { NODE_ENV: 'production' },
      'JWT_SECRET',
      /must be set when NODE_ENV=production/,
    ],
    [
      'NODE_ENV=production with a short JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: 'short' },
      'JWT_SECRET',
      /at least 32/,
    ],
    ['a short JWT_SECRET outside production', { JWT_SECRET: 'short' }, 'JWT_SECRET', /at least 32/],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, 'NODE_ENV', /./],
    ['PORT out of range', { PORT: '70000' }, 'PORT', /./],
    ['PORT not a number', { PORT: '80a' }, 'PORT', /./],
    ['a DATABASE_URL of another kind', { DATABASE_URL: 'postgres://h/db' }, 'DATABASE_URL', /sqlite:PATH or mysql/],
    ['TRUST_PROXY not a boolean', { TRUST_PROXY: 'sometimes' }, 'TRUST_PROXY', /./],
    ['REDIS_URL not a redis URL', { REDIS_URL: 'http://cache:6379' }, 'REDIS_URL', /redis:\/\//],
    ['BODY_LIMIT below 1 KiB', { BODY_LIMIT: '10' }, 'BODY_LIMIT', /./],
    ['BODY_LIMIT above 10 MiB', { BODY_LIMIT: String(20 * 1024 * 1024) }, 'BODY_LIMIT', /./],
    ['RATE_LIMIT_PER_IP of 0', { RATE_LIMIT_PER_IP: '0' }, 'RATE_LIMIT_PER_IP', /./],
    ['RATE_LIMIT_WINDOW negative', { RATE_LIMIT_WINDOW: '-5' }, 'RATE_LIMIT_WINDOW', /./],
    ['LOGIN_FAILURES_PER_ACCOUNT fractional', { LOGIN_FAILURES_PER_ACCOUNT: '2.5' }, 'LOGIN_FAILURES_PER_ACCOUNT', /./],
    ['LOGIN_FAILURES_WINDOW of 0', { LOGIN_FAILURES_WINDOW: '0' }, 'LOGIN_FAILURES_WINDOW', /./],
    ['ACCESS_TOKEN_TTL of 5 seconds', { ACCESS_TOKEN_TTL: '5' }, 'ACCESS_TOKEN_TTL', /./],
    [
      'a session shorter than its access token',
      { ACCESS_TOKEN_TTL: '3600', SESSION_ABSOLUTE_TTL: '600' },
      'SESSION_ABSOLUTE_TTL',
      /ACCESS_TOKEN_TTL/,
    ],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /./],
  ])('refuses %s with one line naming the variable', (_, env, variable, detail) => {
    let error: unknown;
    try {
      loadConfig({ ...ok, ...env });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const e = error as ConfigValidationError;
    expect(e.variable).toBe(variable);
    expect(e.message).toMatch(new RegExp(`^Invalid configuration: ${variable}: `));
    expect(e.message).toMatch(detail);
    expect(e.message).not.toContain('\n');
  });

  it('accepts production with a 32-character secret and reads the security settings', () => {
    const c = loadConfig({
      ...ok,
      NODE_ENV: 'production',
      JWT_SECRET: 'k7Qp2xR9vL4mZ8tW1nB6cY3hJ5sD0fGa',
      TRUST_PROXY: 'yes',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      REDIS_URL: 'redis://127.0.0.1:6379/2',
    });
    expect(c.app).toMatchObject({ trustProxy: 1, corsOrigins: ['https://a.example', 'https://b.example'] });
    expect(c.redis.url).toBe('redis://127.0.0.1:6379/2');
  });
});
