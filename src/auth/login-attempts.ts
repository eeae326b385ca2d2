import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { apiError } from '../common/api-error.js';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { AttemptStore } from './rate-limit/attempt-store.js';

const locked = (retryAfterSeconds: number) =>
  apiError(429, 'rate_limited', 'Too many failed attempts for this account; try again later', retryAfterSeconds);

/**
 * The account lockout (SPEC "Identifiers and errors"): one counter per account, keyed by its
 * normalized email, for every password check of it — logins (unknown emails too, so the limit
 * reveals nothing about accounts), the current password of a password change, and every later
 * check that presents the password: each goes through `check`. Per-IP request limits are
 * @nestjs/throttler's job. Keys are hashed: Redis never holds an email.
 *
 * Increment, then decide: a check counts itself before the password is verified, and is refused
 * unverified when that makes it one too many. Reading the count first and recording a failure
 * after the hash let every request of a burst pass the read before any recorded (30 parallel
 * guesses were all checked against a limit of 10). A check that passes takes its own count back
 * — it was no failure — and resets nothing: failures made meanwhile still count.
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

  private key(email: string): string {
    return createHash('sha256').update(`email:${email}`).digest('base64url');
  }

  /**
   * Runs `verify` (the password check of the account `email`, normalized) unless the account is
   * locked: then 429 `rate_limited` with Retry-After, whatever the password, and `verify` never
   * runs. `passed` tells a right password from a wrong one in what `verify` returned.
   */
  async check<T>(email: string, verify: () => Promise<T>, passed: (result: T) => boolean): Promise<T> {
    const key = this.key(email);
    const { count, resetInMs } = await this.store.hit(key, this.windowMs);
    if (count > this.limit) throw locked(Math.ceil(resetInMs / 1000));
    let result: T;
    try {
      result = await verify();
    } catch (e) {
      // No password was judged (say, the database was away): not a failure.
      await this.store.release(key).catch(() => undefined);
      throw e;
    }
    if (passed(result)) await this.store.release(key);
    return result;
  }
}
