import { createSecretKey, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import { normalizeEmail } from '../common/email.js';
import { validateEnv } from './env.validation.js';
import { type OAuthClient, parseOAuthClients } from './oauth-clients.js';
import { parseSetReceivers } from './set-receivers.js';
import type { TrustProxy } from './trust-proxy.js';

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'HS256';

export type DatabaseConfig =
  { type: 'sqlite'; path: string; migrationsRun: boolean } | { type: 'mysql'; url: string; migrationsRun: boolean };

export interface AppConfig {
  app: {
    env: string;
    port: number;
    /** Address or host name to listen on (HOST). */
    host: string;
    /** Fastify's trustProxy: false, hops, or proxy addresses/CIDRs (never `true`, which trusts every hop). */
    trustProxy: TrustProxy;
    logLevel: string;
    corsOrigins: string[];
    bodyLimit: number;
    shutdownGraceMs: number;
    swagger: boolean;
    /** Base of the links in mails (PUBLIC_URL), without a trailing slash. */
    publicUrl: string;
  };
  database: DatabaseConfig;
  /** Bounds that keep a stalled database from holding requests: see SqlDriver. */
  databaseLimits: DatabaseLimits;
  auth: {
    /** HS256 signing key (JWT_ALGORITHM=HS256), as a KeyObject: jsonwebtoken parses a string secret as PEM first (~0.8 ms a verify). */
    jwtKey: KeyObject;
    /** Separate key for refresh-token MACs, derived from the same secret. */
    refreshKey: Buffer;
    /** Keys the email hashes of the login audit, so they cannot be reversed with a list of emails. */
    auditKey: Buffer;
    secretIsEphemeral: boolean;
    issuer: string;
    audience: string;
    accessTokenTtl: number;
    adminEmails: string[];
    rateLimitPerIp: number;
    rateLimitWindow: number;
    loginFailuresPerAccount: number;
    loginFailuresWindow: number;
    /** Seconds a password proof (login, reauthenticate) lets a session end others or delete the account. */
    reauthMaxAge: number;
  };
  session: {
    idleTtl: number;
    absoluteTtl: number;
    refreshReuseGrace: number;
    maxPerUser: number;
    retentionDays: number;
    cache: 'auto' | 'local' | 'off';
    /** Most sessions the validity cache holds (LRU). */
    cacheSize: number;
    /** With Redis: how long an instance may serve from its cache after last hearing from Redis. */
    cacheLeaseMs: number;
  };
  /** The access tokens' signing keys (src/keys/). */
  keys: {
    algorithm: SigningAlgorithm;
    /** 0: rotation only by command. */
    rotationDays: number;
    /** Seconds a new key is in the JWKS before it signs. */
    prepublish: number;
    pollMs: number;
    /** AES-256-GCM key for the private keys at rest, derived from JWT_SECRET. */
    encryptionKey: Buffer;
  };
  geoip: { dbPath?: string };
  /** Security events POSTed to `url` when set; retries back off from `retryDelayMs`, doubling. */
  webhook: { url?: string; secret: string; timeoutMs: number; maxAttempts: number; retryDelayMs: number };
  redis: { url?: string };
  outbox: {
    /** Seals payloads that hold secrets (a mail's link), derived from JWT_SECRET. */
    key: Buffer;
    /** How often each instance looks for due rows (rows added here are sent at once after their commit). */
    pollMs: number;
    /** How long a claim holds its rows: a crashed claimer's rows are sent again after it. */
    leaseMs: number;
    /** At shutdown, deliveries in flight get this long before their rows are released. */
    shutdownWaitMs: number;
    /** Failed rows are kept this long (SESSION_RETENTION_DAYS). */
    failedKeptMs: number;
  };
  /** The introspection and revocation endpoints (RFC 7662, RFC 7009): none when `clients` is empty. */
  oauth: { clients: OAuthClient[]; introspectionRateLimit: number };
  /** Where Security Event Tokens are pushed (RFC 8935), each URL also its SETs' `aud`. */
  sets: { receivers: string[] };
  mail: {
    /** Unset: each mail is written to the log (links redacted when NODE_ENV=production). */
    smtpUrl?: string;
    from: string;
    /** Lifetimes of the mailed links, seconds. */
    verifyLinkTtl: number;
    /** The reset link's, and the "this wasn't me" link's. */
    resetLinkTtl: number;
    /** Most reset mails one account is sent per hour (forgot and "this wasn't me" together). */
    resetMailsPerHour: number;
  };
}

export interface DatabaseLimits {
  /** Every statement's timeout (mysql2 per-query `timeout`; SQLite's busy timeout). */
  statementTimeoutMs: number;
  /** MySQL pool: connections at most, and requests that may wait for one (beyond: 503 at once). */
  poolSize: number;
  queueLimit: number;
  /** How long a request may wait for a pooled connection before it is answered 503. */
  queueTimeoutMs: number;
}

export const DEFAULT_DATABASE_LIMITS: DatabaseLimits = {
  statementTimeoutMs: 1_500,
  poolSize: 20,
  queueLimit: 200,
  queueTimeoutMs: 500,
};

export function parseDatabaseUrl(url: string, migrationsRun: boolean): DatabaseConfig {
  if (url.startsWith('sqlite:')) return { type: 'sqlite', path: url.slice('sqlite:'.length), migrationsRun };
  return { type: 'mysql', url: url.replace(/^mariadb:/, 'mysql:'), migrationsRun };
}

/** Where the data lives, for logs and error lines: the SQLite path, or host:port/database (never the credentials). */
export function describeDatabase(db: { type: 'sqlite'; path: string } | { type: 'mysql'; url: string }): string {
  if (db.type === 'sqlite') return `sqlite ${db.path}`;
  const url = new URL(db.url);
  return `mysql ${url.hostname}:${url.port || '3306'}${url.pathname}`;
}

/** Builds the typed configuration from an environment (process.env by default), validating it first. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const e = validateEnv(env);
  const secret = e.JWT_SECRET ? Buffer.from(e.JWT_SECRET, 'utf8') : randomBytes(48);
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    app: {
      env: e.NODE_ENV,
      port: e.PORT,
      host: e.HOST,
      trustProxy: e.TRUST_PROXY,
      logLevel: e.LOG_LEVEL,
      corsOrigins: list(e.CORS_ORIGINS),
      bodyLimit: e.BODY_LIMIT,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      swagger: e.SWAGGER,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    },
    database: parseDatabaseUrl(e.DATABASE_URL, e.MIGRATIONS_RUN),
    databaseLimits: {
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      poolSize: e.DATABASE_POOL_SIZE,
      queueLimit: e.DATABASE_QUEUE_LIMIT,
      queueTimeoutMs: e.DATABASE_QUEUE_TIMEOUT_MS,
    },
    auth: {
      jwtKey: createSecretKey(secret),
      refreshKey: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'device-sessions refresh token v1', 32)),
      auditKey: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'device-sessions login audit v1', 32)),
      secretIsEphemeral: !e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtl: e.ACCESS_TOKEN_TTL,
      adminEmails: list(e.ADMIN_EMAILS).map(normalizeEmail),
      rateLimitPerIp: e.RATE_LIMIT_PER_IP,
      rateLimitWindow: e.RATE_LIMIT_WINDOW,
      loginFailuresPerAccount: e.LOGIN_FAILURES_PER_ACCOUNT,
      loginFailuresWindow: e.LOGIN_FAILURES_WINDOW,
      reauthMaxAge: e.REAUTH_MAX_AGE,
    },
    session: {
      idleTtl: e.SESSION_IDLE_TTL,
      absoluteTtl: e.SESSION_ABSOLUTE_TTL,
      refreshReuseGrace: e.REFRESH_REUSE_GRACE,
      maxPerUser: e.MAX_SESSIONS_PER_USER,
      retentionDays: e.SESSION_RETENTION_DAYS,
      cache: e.SESSION_CACHE as AppConfig['session']['cache'],
      cacheSize: e.SESSION_CACHE_SIZE,
      cacheLeaseMs: e.SESSION_CACHE_LEASE_MS,
    },
    keys: {
      algorithm: e.JWT_ALGORITHM as SigningAlgorithm,
      rotationDays: e.JWT_KEY_ROTATION_DAYS,
      prepublish: e.JWT_KEY_PREPUBLISH,
      pollMs: e.JWT_KEY_POLL_MS,
      encryptionKey: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'device-sessions signing keys v1', 32)),
    },
    geoip: { dbPath: e.GEOIP_DB_PATH },
    webhook: {
      url: e.WEBHOOK_URL,
      secret: e.WEBHOOK_SECRET ?? '',
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryDelayMs: e.WEBHOOK_RETRY_DELAY_MS,
    },
    redis: { url: e.REDIS_URL },
    outbox: {
      key: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'device-sessions outbox v1', 32)),
      pollMs: e.OUTBOX_POLL_MS,
      leaseMs: e.OUTBOX_LEASE_MS,
      shutdownWaitMs: 10_000,
      failedKeptMs: e.SESSION_RETENTION_DAYS * 86_400_000,
    },
    oauth: {
      clients: (parseOAuthClients(e.INTROSPECTION_CLIENTS) as { clients: OAuthClient[] }).clients,
      introspectionRateLimit: e.INTROSPECTION_RATE_LIMIT,
    },
    sets: { receivers: (parseSetReceivers(e.SET_RECEIVERS) as { receivers: string[] }).receivers },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      verifyLinkTtl: e.VERIFY_LINK_TTL,
      resetLinkTtl: e.RESET_LINK_TTL,
      resetMailsPerHour: e.RESET_MAILS_PER_HOUR,
    },
  };
}
