import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { isIP } from 'node:net';
import { parseOAuthClients } from './oauth-clients.js';
import { parseSetReceivers } from './set-receivers.js';
import { secretWeakness } from './secret-strength.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

// Digits only: no sign, spaces, exponent, fraction or unit suffix ("15m", "1e3", " 90" are refused,
// not read as something else). A refused value stays a string, so IsInt reports it.
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;

/**
 * A whole number within [min, max], described by `what` (which names the unit). Every way of
 * missing it (not digits, too small, too large) gets the one message, with the range.
 */
function WholeNumber(what: string, min: number, max?: number): PropertyDecorator {
  const range = max === undefined ? (min > 0 ? `, at least ${min}` : '') : ` from ${min} to ${max}`;
  const message = ({ property }: { property: string }) => `${property} must be ${what}${range}`;
  const rules = [Transform(toInt), IsInt({ message }), Min(min, { message })];
  if (max !== undefined) rules.push(Max(max, { message }));
  return (target, key) => rules.forEach((rule) => rule(target, key));
}

const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;

export const DEFAULT_DATABASE_URL = 'sqlite:./data/device-sessions.sqlite';

/** mysql:// or mariadb://, a host, a numeric port if any, a database name: what mysql2 can connect with. */
function isMysqlUrl(value: string): boolean {
  if (!/^(mysql|mariadb):\/\/[^/]+\/[^/?]+(\?.*)?$/.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

const secretMessage = ({ value }: { value: unknown }) =>
  value === undefined ? 'JWT_SECRET must be set when NODE_ENV=production' : 'JWT_SECRET must be at least 32 characters';

/** Every environment variable the service reads, with its default and its rule. */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @WholeNumber('a TCP port number', 0, 65_535)
  PORT: number = 3000;

  // Loopback by default, so a laptop running `npm start` does not offer the service to its
  // network; the Docker image sets 0.0.0.0. 127.0.0.1 rather than `localhost`: clients asking for
  // localhost fall back from ::1 to it, and Fastify's several-address listen for `localhost`
  // crashes when a SIGTERM closes the server before it has bound them all.
  @ValidateBy({
    name: 'isListenAddress',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && (isIP(v) !== 0 || HOST_NAME.test(v)),
      defaultMessage: () =>
        'HOST must be an IP address or a host name to listen on (localhost, 127.0.0.1, 0.0.0.0, ::)',
    },
  })
  HOST: string = '127.0.0.1';

  @ValidateBy({
    name: 'isDatabaseUrl',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && (/^sqlite:./.test(v) || isMysqlUrl(v)),
      defaultMessage: () => 'DATABASE_URL must be sqlite:PATH or mysql://USER:PASS@HOST:PORT/DB',
    },
  })
  DATABASE_URL: string = DEFAULT_DATABASE_URL;

  @Transform(toBool)
  @IsBoolean({ message: 'MIGRATIONS_RUN must be true or false (or 1/0, yes/no, on/off)' })
  MIGRATIONS_RUN: boolean = true;

  // No @IsOptional here: it would skip every rule when the value is absent, production included.
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: secretMessage })
  @MinLength(32, { message: secretMessage })
  JWT_SECRET?: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  JWT_ISSUER: string = 'device-sessions';

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  JWT_AUDIENCE: string = 'device-sessions';

  @WholeNumber('a whole number of seconds', 10, 86_400)
  ACCESS_TOKEN_TTL: number = 900;

  /** ES256 or EdDSA: keys in the database, published as a JWKS; HS256: JWT_SECRET, one service only. */
  @IsIn(['ES256', 'EdDSA', 'HS256'], { message: 'JWT_ALGORITHM must be ES256, EdDSA or HS256' })
  JWT_ALGORITHM: string = 'ES256';

  @WholeNumber('a whole number of days (0: only by `npm run keys -- rotate`)', 0, 3650)
  JWT_KEY_ROTATION_DAYS: number = 30;

  @WholeNumber('a whole number of seconds', 0, 2_592_000)
  JWT_KEY_PREPUBLISH: number = 3_600;

  /** How often each instance re-reads the key set (Redis news makes it at once); at most a minute. */
  @WholeNumber('a whole number of milliseconds', 100, 60_000)
  JWT_KEY_POLL_MS: number = 30_000;

  @WholeNumber('a whole number of seconds', 60)
  SESSION_IDLE_TTL: number = 1_209_600;

  @WholeNumber('a whole number of seconds', 60)
  SESSION_ABSOLUTE_TTL: number = 2_592_000;

  @WholeNumber('a whole number of seconds', 0, 300)
  REFRESH_REUSE_GRACE: number = 10;

  @WholeNumber('a whole number of sessions (0: no cap)', 0)
  MAX_SESSIONS_PER_USER: number = 0;

  @WholeNumber('a whole number of days', 1)
  SESSION_RETENTION_DAYS: number = 90;

  /** false, true (one hop), a number of proxy hops, or proxy addresses/CIDRs: see trust-proxy.ts. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseTrustProxy(value) ?? value) : value))
  @ValidateBy(
    {
      name: 'trustProxy',
      validator: { validate: (v: unknown) => v === false || typeof v === 'number' || Array.isArray(v) },
    },
    {
      message:
        'TRUST_PROXY must be false, true (one hop), a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
    },
  )
  TRUST_PROXY: TrustProxy = false;

  /**
   * A MaxMind-format .mmdb (comma-separated files are tried in order), or `off`; unset = the bundled DB-IP country
   * file.
   */
  @IsOptional()
  @IsString()
  GEOIP_DB_PATH?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'WEBHOOK_URL must be an http(s) URL' },
  )
  WEBHOOK_URL?: string;

  @ValidateIf((env: EnvironmentVariables) => env.WEBHOOK_URL !== undefined || env.WEBHOOK_SECRET !== undefined)
  @MinLength(16, { message: 'WEBHOOK_SECRET must be at least 16 characters' })
  @IsString({ message: 'WEBHOOK_SECRET must be set when WEBHOOK_URL is' })
  WEBHOOK_SECRET?: string;

  @WholeNumber('a whole number of milliseconds', 100, 60_000)
  WEBHOOK_TIMEOUT_MS: number = 5_000;

  @WholeNumber('a whole number of attempts', 1, 10)
  WEBHOOK_MAX_ATTEMPTS: number = 5;

  @WholeNumber('a whole number of milliseconds', 1, 600_000)
  WEBHOOK_RETRY_DELAY_MS: number = 1_000;

  @WholeNumber('a whole number of milliseconds', 10, 60_000)
  OUTBOX_POLL_MS: number = 1_000;

  @WholeNumber('a whole number of milliseconds', 1_000, 3_600_000)
  OUTBOX_LEASE_MS: number = 60_000;

  @WholeNumber('a whole number of milliseconds', 100, 600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = 1_500;

  @WholeNumber('a whole number of connections', 1, 1_000)
  DATABASE_POOL_SIZE: number = 20;

  @WholeNumber('a whole number of requests', 1, 100_000)
  DATABASE_QUEUE_LIMIT: number = 200;

  @WholeNumber('a whole number of milliseconds', 50, 600_000)
  DATABASE_QUEUE_TIMEOUT_MS: number = 500;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be redis://HOST:PORT[/DB]' })
  REDIS_URL?: string;

  @IsString()
  ADMIN_EMAILS: string = '';

  @IsIn(['auto', 'local', 'off'])
  SESSION_CACHE: string = 'auto';

  @WholeNumber('a whole number of sessions', 1, 10_000_000)
  SESSION_CACHE_SIZE: number = 100_000;

  @WholeNumber('a whole number of milliseconds', 200, 60_000)
  SESSION_CACHE_LEASE_MS: number = 3_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @IsString()
  CORS_ORIGINS: string = '';

  @WholeNumber('a whole number of bytes', 1024, 10_485_760)
  BODY_LIMIT: number = 16_384;

  /** Swagger UI at /docs and the document at /docs-json; `off` removes both. */
  @Transform(toBool)
  @IsBoolean()
  SWAGGER: boolean = true;

  @WholeNumber('a whole number of milliseconds', 1000, 600_000)
  SHUTDOWN_GRACE_MS: number = 25_000;

  @WholeNumber('a whole number of requests', 1)
  RATE_LIMIT_PER_IP: number = 30;

  @WholeNumber('a whole number of seconds', 1)
  RATE_LIMIT_WINDOW: number = 60;

  @WholeNumber('a whole number of failed attempts', 1)
  LOGIN_FAILURES_PER_ACCOUNT: number = 10;

  @WholeNumber('a whole number of seconds', 1)
  LOGIN_FAILURES_WINDOW: number = 900;

  /** How recently a session must have proved the password to end other sessions or delete the account. */
  @WholeNumber('a whole number of seconds', 30, 86_400)
  REAUTH_MAX_AGE: number = 600;

  /** `smtp://` or `smtps://`, credentials in the URL; unset: mails are written to the log instead. */
  @IsOptional()
  @Matches(/^smtps?:\/\/[^/?#\s]+\/?(\?[^#\s]*)?$/, {
    message: 'SMTP_URL must be smtp://USER:PASS@HOST:PORT or smtps://USER:PASS@HOST:PORT',
  })
  SMTP_URL?: string;

  @IsString()
  @MinLength(3)
  @MaxLength(320)
  @Matches(/^[^\r\n]*@[^\r\n]*$/, { message: 'MAIL_FROM must be an address, e.g. "Name <no-reply@example.com>"' })
  MAIL_FROM: string = 'device-sessions <no-reply@localhost>';

  /** Base of the links in mails; default http://localhost:$PORT (see loadConfig). */
  @IsOptional()
  @Matches(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, {
    message: 'PUBLIC_URL must be an http(s) URL without query or fragment, e.g. https://auth.example.com',
  })
  PUBLIC_URL?: string;

  @WholeNumber('a whole number of seconds', 60, 2_592_000)
  VERIFY_LINK_TTL: number = 86_400;

  @WholeNumber('a whole number of seconds', 60, 86_400)
  RESET_LINK_TTL: number = 1_800;

  @WholeNumber('a whole number of mails', 1, 100)
  RESET_MAILS_PER_HOUR: number = 5;

  /** Comma-separated `client_id:secret` of the introspection and revocation clients; empty: both routes 404. */
  @IsString()
  INTROSPECTION_CLIENTS: string = '';

  /** Introspection requests per client per minute; 0: no limit. */
  @WholeNumber('a whole number of requests a minute', 0, 10_000_000)
  INTROSPECTION_RATE_LIMIT: number = 0;

  /** Comma-separated https:// URLs (http:// on loopback) that receive Security Event Tokens; empty: none. */
  @IsString()
  SET_RECEIVERS: string = '';
}

export class ConfigValidationError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable}: ${detail}`);
    this.name = 'ConfigValidationError';
  }
}

/** Validates the environment; throws one clear line naming the first bad variable. */
export function validateEnv(env: Record<string, string | undefined>): EnvironmentVariables {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const first = errors[0];
    const detail = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    throw new ConfigValidationError(first.property, detail);
  }
  const weakness =
    parsed.NODE_ENV === 'production' && parsed.JWT_SECRET !== undefined ? secretWeakness(parsed.JWT_SECRET) : undefined;
  if (weakness) {
    throw new ConfigValidationError(
      'JWT_SECRET',
      `JWT_SECRET ${weakness}: use at least 32 random characters (e.g. openssl rand -base64 48)`,
    );
  }
  if (parsed.JWT_KEY_ROTATION_DAYS > 0 && parsed.JWT_KEY_PREPUBLISH >= parsed.JWT_KEY_ROTATION_DAYS * 86_400) {
    throw new ConfigValidationError('JWT_KEY_PREPUBLISH', 'must be shorter than JWT_KEY_ROTATION_DAYS');
  }
  const clients = parseOAuthClients(parsed.INTROSPECTION_CLIENTS);
  if ('error' in clients) throw new ConfigValidationError('INTROSPECTION_CLIENTS', clients.error);
  const receivers = parseSetReceivers(parsed.SET_RECEIVERS);
  if ('error' in receivers) throw new ConfigValidationError('SET_RECEIVERS', receivers.error);
  if (receivers.receivers.length > 0 && parsed.JWT_ALGORITHM === 'HS256')
    throw new ConfigValidationError(
      'SET_RECEIVERS',
      'needs JWT_ALGORITHM ES256 or EdDSA: with HS256 no other service can verify what we sign',
    );
  if (parsed.SESSION_ABSOLUTE_TTL < parsed.ACCESS_TOKEN_TTL) {
    throw new ConfigValidationError('SESSION_ABSOLUTE_TTL', 'must not be shorter than ACCESS_TOKEN_TTL');
  }
  return parsed;
}
