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
  ValidateIf,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

const secretMessage = ({ value }: { value: unknown }) =>
  value === undefined ? 'JWT_SECRET must be set when NODE_ENV=production' : 'JWT_SECRET must be at least 32 characters';

/** Every environment variable the service reads, with its default and its rule. */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @Matches(/^(sqlite:.+|(mysql|mariadb):\/\/[^/]+\/[^/?]+(\?.*)?)$/, {
    message: 'DATABASE_URL must be sqlite:PATH or mysql://USER:PASS@HOST:PORT/DB',
  })
  DATABASE_URL: string = 'sqlite:./data/device-sessions.sqlite';

  @Transform(toBool)
  @IsBoolean()
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

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(86_400)
  ACCESS_TOKEN_TTL: number = 900;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  SESSION_IDLE_TTL: number = 1_209_600;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  SESSION_ABSOLUTE_TTL: number = 2_592_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  REFRESH_REUSE_GRACE: number = 10;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  MAX_SESSIONS_PER_USER: number = 0;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SESSION_RETENTION_DAYS: number = 90;

  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY: boolean = false;

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

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS: number = 5_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10)
  WEBHOOK_MAX_ATTEMPTS: number = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600_000)
  WEBHOOK_RETRY_DELAY_MS: number = 1_000;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be redis://HOST:PORT[/DB]' })
  REDIS_URL?: string;

  @IsString()
  ADMIN_EMAILS: string = '';

  @IsIn(['auto', 'local', 'off'])
  SESSION_CACHE: string = 'auto';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  SESSION_CACHE_SIZE: number = 100_000;

  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(60_000)
  SESSION_CACHE_LEASE_MS: number = 3_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @IsString()
  CORS_ORIGINS: string = '';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10_485_760)
  BODY_LIMIT: number = 16_384;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_IP: number = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_WINDOW: number = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_FAILURES_PER_ACCOUNT: number = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_FAILURES_WINDOW: number = 900;

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

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(2_592_000)
  VERIFY_LINK_TTL: number = 86_400;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  RESET_LINK_TTL: number = 1_800;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  RESET_MAILS_PER_HOUR: number = 5;
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
  if (parsed.SESSION_ABSOLUTE_TTL < parsed.ACCESS_TOKEN_TTL) {
    throw new ConfigValidationError('SESSION_ABSOLUTE_TTL', 'must not be shorter than ACCESS_TOKEN_TTL');
  }
  return parsed;
}
