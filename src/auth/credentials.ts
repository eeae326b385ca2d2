import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { apiError } from '../common/api-error.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountMail } from './account-mail.js';
import { LinkTokens } from './link-tokens.js';
import { LoginAttempts } from './login-attempts.js';

/** Which sessions a new password ends: all but the caller's (a change), or every one (a reset). */
export type PasswordEnding = { keep: string } | 'all';

/**
 * The password of a signed-in user, the one home of it. `prove` is the check every route that
 * asks a signed-in user for the password goes through (password change, reauthenticate, account
 * deletion): through the account lockout, in the one counter logins use. `replace` is what a new
 * password does (password change and password reset both come here): the hash is stored,
 * sessions end (`password_change` for all but the caller's, or `password_reset` for all), every
 * unused mailed link dies, all in one transaction; the owner is mailed once it has committed.
 */
@Injectable()
export class Credentials {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly links: LinkTokens,
    private readonly mail: AccountMail,
    private readonly tx: TransactionRunner,
    private readonly attempts: LoginAttempts,
  ) {}

  /**
   * Resolves when `password` is the user's; else 403 `invalid_credentials` (not 401: the
   * caller's tokens stay good), and 429 `rate_limited` while the account is locked, whatever the
   * password. Every wrong one counts as a failed attempt of the account, atomically.
   */
  async prove(userId: string, password: string, wrong = 'Password is wrong'): Promise<void> {
    const email = await this.users.emailOf(userId);
    const valid = await this.attempts.check(
      email,
      () => this.users.checkPassword(userId, password),
      (ok) => ok,
    );
    if (!valid) throw apiError(403, 'invalid_credentials', wrong);
  }

  /** `em`: the caller's transaction (a reset uses its link in the same one); else one of its own. */
  replace(userId: string, passwordHash: string, ending: PasswordEnding, em?: EntityManager): Promise<void> {
    if (!em) return this.tx.run((own) => this.replace(userId, passwordHash, ending, own));
    return (async () => {
      await this.users.setPasswordHash(userId, passwordHash, em);
      if (ending === 'all') await this.sessions.endAll(userId, 'password_reset', em);
      else await this.sessions.endOthers(userId, ending.keep, 'password_change', em);
      await this.sessions.credentialChanged(userId, ending === 'all' ? 'password_reset' : 'password_change', em);
      await this.links.revokeAll(userId, em);
      await this.mail.passwordChanged(userId, ending === 'all', em);
    })();
  }
}
