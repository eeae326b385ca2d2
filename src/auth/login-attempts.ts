import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { apiError } from '../common/api-error.js';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { AttemptStore } from './rate-limit/attempt-store.js';

const tooManyAttempts = (retryAfterSeconds: number) =>
  apiError(429, 'rate_limited', 'Too many failed attempts for this account; try again later', retryAfterSeconds);

/**
 * Failed password checks per account in a fixed window: logins by normalised email (known or
 * not, so the limit itself reveals nothing) and current-password checks by user id, so a stolen
 * access token cannot be used to guess the password either. Per-IP request limits are
 * @nestjs/throttler's job. Keys are hashed: Redis never holds an email.
 */
@Injectable()
export class LoginAttempts {
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    @Inject(AttemptStore) private readonly store: AttemptStore,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.limit = auth.loginFailuresPerAccount;
    this.windowMs = auth.loginFailuresWindow * 1000;
  }

  private key(account: string): string {
    return createHash('sha256').update(account).digest('base64url');
  }

  async assertAllowed(account: string): Promise<void> {
    const { count, resetInMs } = await this.store.get(this.key(account));
    if (count >= this.limit) throw tooManyAttempts(Math.ceil(resetInMs / 1000));
  }

  async recordFailure(account: string): Promise<void> {
    await this.store.hit(this.key(account), this.windowMs);
  }

  reset(account: string): Promise<void> {
    return this.store.reset(this.key(account));
  }
}
