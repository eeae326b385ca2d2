import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountMail } from './account-mail.js';
import { LinkTokens } from './link-tokens.js';

/** Which sessions a new password ends: all but the caller's (a change), or every one (a reset). */
export type PasswordEnding = { keep: string } | 'all';

/**
 * What a new password does, the one home of it (password change and password reset both come
 * here): the hash is stored, sessions end (`password_change` for all but the caller's, or
 * `password_reset` for all), every unused mailed link dies, all in one transaction; the owner is
 * mailed once it has committed.
 */
@Injectable()
export class Credentials {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly links: LinkTokens,
    private readonly mail: AccountMail,
    private readonly tx: TransactionRunner,
  ) {}

  /** `em`: the caller's transaction (a reset uses its link in the same one); else one of its own. */
  replace(userId: string, passwordHash: string, ending: PasswordEnding, em?: EntityManager): Promise<void> {
    if (!em) return this.tx.run((own) => this.replace(userId, passwordHash, ending, own));
    return (async () => {
      await this.users.setPasswordHash(userId, passwordHash, em);
      if (ending === 'all') await this.sessions.endAll(userId, 'password_reset', em);
      else await this.sessions.endOthers(userId, ending.keep, 'password_change', em);
      await this.links.revokeAll(userId, em);
      await this.mail.passwordChanged(userId, ending === 'all', em);
    })();
  }
}
