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
    [{ INTROSPECTION_CLIENTS: 'rs' }, 'INTROSPECTION_CLIENTS'],
    [{ INTROSPECTION_CLIENTS: `rs:${'s'.repeat(31)}` }, 'INTROSPECTION_CLIENTS'],
    [{ INTROSPECTION_CLIENTS: `:${'s'.repeat(32)}` }, 'INTROSPECTION_CLIENTS'],
    [{ INTROSPECTION_CLIENTS: `r s:${'s'.repeat(32)}` }, 'INTROSPECTION_CLIENTS'],
    [{ INTROSPECTION_CLIENTS: `rs:${'s'.repeat(32)},rs:${'t'.repeat(32)}` }, 'INTROSPECTION_CLIENTS'],
    [{ INTROSPECTION_RATE_LIMIT: '-1' }, 'INTROSPECTION_RATE_LIMIT'],
    [{ SET_RECEIVERS: 'http://orders.example/events' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'http://10.0.0.1/events' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'https://user:pass@orders.example/events' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'ftp://orders.example/events' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'orders.example' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'https://a.example/e,https://a.example/e' }, 'SET_RECEIVERS'],
    [{ SET_RECEIVERS: 'https://a.example/e', JWT_ALGORITHM: 'HS256' }, 'SET_RECEIVERS'],
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

  it('reads INTROSPECTION_CLIENTS, and never repeats a secret it refuses', () => {
    const secret = 'k7Qp2xR9vL4mZ8tW1nB6cY3hJ5sD0fG:a=%';
    expect(loadConfig({ INTROSPECTION_CLIENTS: ` rs:${secret} , bff:${'b'.repeat(32)}` }).oauth).toEqual({
      clients: [
        { id: 'rs', secret },
        { id: 'bff', secret: 'b'.repeat(32) },
      ],
      introspectionRateLimit: 0,
    });
    expect(() => validateEnv({ INTROSPECTION_CLIENTS: 'rs:too-short-secret' })).toThrow(
      /^Invalid configuration: INTROSPECTION_CLIENTS: the secret of client "rs" must be 32 to 512 characters/,
    );
    expect(() => validateEnv({ INTROSPECTION_CLIENTS: 'rs:too-short-secret' })).not.toThrow(/too-short-secret/);
  });

  it('reads SET_RECEIVERS: https anywhere, http on loopback only, each kept as written', () => {
    const list = 'https://orders.example/security-events, http://127.0.0.1:4000/e/,http://[::1]:9/x,http://localhost/y';
    expect(loadConfig({ SET_RECEIVERS: list }).sets.receivers).toEqual([
      'https://orders.example/security-events',
      'http://127.0.0.1:4000/e/',
      'http://[::1]:9/x',
      'http://localhost/y',
    ]);
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

describe('numeric settings', () => {
  /** Every numeric variable and the unit its message names. */
  const units: Record<string, string> = {
    PORT: 'a TCP port number',
    ACCESS_TOKEN_TTL: 'a whole number of seconds',
    SESSION_IDLE_TTL: 'a whole number of seconds',
    SESSION_ABSOLUTE_TTL: 'a whole number of seconds',
    REFRESH_REUSE_GRACE: 'a whole number of seconds',
    MAX_SESSIONS_PER_USER: 'a whole number of sessions',
    SESSION_RETENTION_DAYS: 'a whole number of days',
    SHUTDOWN_GRACE_MS: 'a whole number of milliseconds',
    WEBHOOK_TIMEOUT_MS: 'a whole number of milliseconds',
    WEBHOOK_MAX_ATTEMPTS: 'a whole number of attempts',
    WEBHOOK_RETRY_DELAY_MS: 'a whole number of milliseconds',
    SESSION_CACHE_SIZE: 'a whole number of sessions',
    SESSION_CACHE_LEASE_MS: 'a whole number of milliseconds',
    BODY_LIMIT: 'a whole number of bytes',
    RATE_LIMIT_PER_IP: 'a whole number of requests',
    RATE_LIMIT_WINDOW: 'a whole number of seconds',
    LOGIN_FAILURES_PER_ACCOUNT: 'a whole number of failed attempts',
    LOGIN_FAILURES_WINDOW: 'a whole number of seconds',
    REAUTH_MAX_AGE: 'a whole number of seconds',
    VERIFY_LINK_TTL: 'a whole number of seconds',
    RESET_LINK_TTL: 'a whole number of seconds',
    RESET_MAILS_PER_HOUR: 'a whole number of mails',
    JWT_KEY_ROTATION_DAYS: 'a whole number of days',
    JWT_KEY_PREPUBLISH: 'a whole number of seconds',
    JWT_KEY_POLL_MS: 'a whole number of milliseconds',
    INTROSPECTION_RATE_LIMIT: 'a whole number of requests a minute',
    OUTBOX_POLL_MS: 'a whole number of milliseconds',
    OUTBOX_LEASE_MS: 'a whole number of milliseconds',
    DATABASE_STATEMENT_TIMEOUT_MS: 'a whole number of milliseconds',
    DATABASE_POOL_SIZE: 'a whole number of connections',
    DATABASE_QUEUE_LIMIT: 'a whole number of requests',
    DATABASE_QUEUE_TIMEOUT_MS: 'a whole number of milliseconds',
  };

  const messageFor = (env: Record<string, string>) => {
    try {
      validateEnv(env);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('names a unit for every numeric variable (a new one must be added here)', () => {
    const numeric = Object.entries(validateEnv({}))
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    expect(numeric.sort()).toEqual(Object.keys(units).sort());
  });

  // Only digits: a unit suffix, an exponent, a sign, a fraction, hex or surrounding spaces are
  // refused, never read as some other number.
  const notWholeNumbers = [
    'abc',
    '15m',
    '1e3',
    ' 90',
    '90 ',
    '+90',
    '-90',
    '9.5',
    '0x10',
    '1_000',
    '٣',
    '9'.repeat(16),
  ];

  it.each(Object.entries(units))('%s: refuses what is not a whole number, naming its unit', (variable, unit) => {
    for (const value of notWholeNumbers) {
      expect([value, messageFor({ [variable]: value })]).toEqual([
        value,
        expect.stringMatching(new RegExp(`^Invalid configuration: ${variable}: ${variable} must be ${unit}`)),
      ]);
    }
  });

  it('says the unit and the range for the examples people type', () => {
    expect(messageFor({ ACCESS_TOKEN_TTL: '15m' })).toBe(
      'Invalid configuration: ACCESS_TOKEN_TTL: ACCESS_TOKEN_TTL must be a whole number of seconds from 10 to 86400',
    );
    expect(messageFor({ PORT: 'abc' })).toBe(
      'Invalid configuration: PORT: PORT must be a TCP port number from 0 to 65535',
    );
    expect(messageFor({ PORT: '70000' })).toBe(
      'Invalid configuration: PORT: PORT must be a TCP port number from 0 to 65535',
    );
    expect(messageFor({ SESSION_IDLE_TTL: '59' })).toBe(
      'Invalid configuration: SESSION_IDLE_TTL: SESSION_IDLE_TTL must be a whole number of seconds, at least 60',
    );
    expect(messageFor({ MAX_SESSIONS_PER_USER: '2 sessions' })).toBe(
      'Invalid configuration: MAX_SESSIONS_PER_USER: ' +
        'MAX_SESSIONS_PER_USER must be a whole number of sessions (0: no cap)',
    );
  });

  it('accepts plain digits at the bounds', () => {
    expect(validateEnv({ PORT: '0', ACCESS_TOKEN_TTL: '10', REFRESH_REUSE_GRACE: '300' })).toMatchObject({
      PORT: 0,
      ACCESS_TOKEN_TTL: 10,
      REFRESH_REUSE_GRACE: 300,
    });
    expect(validateEnv({ PORT: '65535', BODY_LIMIT: '010240' })).toMatchObject({ PORT: 65535, BODY_LIMIT: 10240 });
  });
});

describe('HOST', () => {
  it('defaults to 127.0.0.1 (loopback only)', () => {
    expect(validateEnv({}).HOST).toBe('127.0.0.1');
  });

  it.each(['0.0.0.0', '127.0.0.1', '::', '::1', 'fe80::1%eth0', 'localhost', 'app.internal', 'my-host'])(
    'accepts %s',
    (host) => {
      expect(validateEnv({ HOST: host }).HOST).toBe(host);
    },
  );

  it.each(['[::1]', '0.0.0.0:3000', 'http://localhost', 'two words', '-leading-hyphen', 'a..b', '*'])(
    'refuses %j with one line',
    (host) => {
      expect(() => validateEnv({ HOST: host })).toThrow(
        /^Invalid configuration: HOST: HOST must be an IP address or a host name to listen on/,
      );
    },
  );
});
