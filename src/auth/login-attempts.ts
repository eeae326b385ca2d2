import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';

export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super({ statusCode: 429, error: 'Too Many Requests', message: 'Too many failed logins for this account; try again later' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Failed logins per account (by normalised email, known or not, so the limit itself reveals
 * nothing) in a fixed window. Per-IP request limits are @nestjs/throttler's job.
 */
@Injectable()
export class LoginAttempts {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.limit = auth.loginFailuresPerAccount;
    this.windowMs = auth.loginFailuresWindow * 1000;
  }

  private current(key: string) {
    const entry = this.failures.get(key);
    if (entry && entry.resetAt <= this.clock.now()) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  assertAllowed(key: string): void {
    const entry = this.current(key);
    if (entry && entry.count >= this.limit) throw new TooManyAttemptsException(Math.ceil((entry.resetAt - this.clock.now()) / 1000));
  }

  recordFailure(key: string): void {
    const entry = this.current(key);
    if (entry) entry.count += 1;
    else this.failures.set(key, { count: 1, resetAt: this.clock.now() + this.windowMs });
    if (this.failures.size > 100_000) this.prune();
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(key);
  }
}
