import { loadConfig } from './configuration.js';
import { ConfigValidationError, validateEnv } from './env.validation.js';

describe('validateEnv', () => {
  it('applies the documented defaults', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'sqlite:./data/device-sessions.sqlite',
      JWT_ISSUER: 'device-sessions',
      JWT_AUDIENCE: 'device-sessions',
      ACCESS_TOKEN_TTL: 900,
      SESSION_IDLE_TTL: 1_209_600,
      SESSION_ABSOLUTE_TTL: 2_592_000,
      REFRESH_REUSE_GRACE: 10,
      MAX_SESSIONS_PER_USER: 0,
      TRUST_PROXY: false,
      SESSION_CACHE: 'auto',
      LOG_LEVEL: 'info',
      MIGRATIONS_RUN: true,
      SWAGGER: true,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL'],
    [{ ACCESS_TOKEN_TTL: '-1' }, 'ACCESS_TOKEN_TTL'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ SESSION_CACHE: 'redis' }, 'SESSION_CACHE'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: ' '.repeat(32) }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(48) }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: '0123'.repeat(8) }, 'JWT_SECRET'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ SWAGGER: 'sometimes' }, 'SWAGGER'],
    [{ SESSION_ABSOLUTE_TTL: '60', ACCESS_TOKEN_TTL: '900' }, 'SESSION_ABSOLUTE_TTL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
  ])('refuses %j naming %s in one line', (env, variable) => {
    let error: unknown;
    try {
      validateEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid configuration: ${variable}: [^\\n]+$`));
  });

  it('accepts production with a long secret', () => {
    const secret = 'k7Qp2xR9vL4mZ8tW1nB6cY3hJ5sD0fGa';
    expect(validateEnv({ NODE_ENV: 'production', JWT_SECRET: secret }).JWT_SECRET).toBe(secret);
  });
});

describe('loadConfig', () => {
  it('parses database URLs and lists', () => {
    const c = loadConfig({
      DATABASE_URL: 'mariadb://u:p@db:3306/app',
      ADMIN_EMAILS: ' Boss@Example.com , ops@example.com ',
      JWT_SECRET: 'x'.repeat(32),
    });
    expect(c.database).toEqual({ type: 'mysql', url: 'mysql://u:p@db:3306/app', migrationsRun: true });
    expect(c.auth.adminEmails).toEqual(['boss@example.com', 'ops@example.com']);
    expect(c.auth.secretIsEphemeral).toBe(false);
    expect(c.auth.jwtKey.type).toBe('secret');
  });

  it('uses a random secret per boot when none is set', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.auth.secretIsEphemeral).toBe(true);
    expect(a.auth.jwtKey.export().equals(b.auth.jwtKey.export())).toBe(false);
  });
});
