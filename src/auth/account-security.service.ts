import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { BackgroundWork } from '../common/background-work.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { normalizeEmail } from '../users/dto/email.rules.js';
import { UsersService } from '../users/users.service.js';
import { AccountMail } from './account-mail.js';
import { Credentials } from './credentials.js';
import { LinkTokens } from './link-tokens.js';

/**
 * What a user does with the mailed links — verify the email, report a sign-in ("this wasn't
 * me"), reset a forgotten password — and asking for them. The link rules are LinkTokens', what
 * a new password does is Credentials', the mails are AccountMail's.
 */
@Injectable()
export class AccountSecurityService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly links: LinkTokens,
    private readonly mail: AccountMail,
    private readonly credentials: Credentials,
    private readonly tx: TransactionRunner,
    private readonly background: BackgroundWork,
  ) {}

  async verifyEmail(token: string): Promise<void> {
    const { userId } = await this.links.use('verify_email', token);
    await this.users.markEmailVerified(userId);
    await this.links.revoke(userId, 'verify_email');
  }

  /** A new verification link, unless the address is verified already (202 either way). */
  async resendVerification(auth: AuthContext): Promise<void> {
    const contact = await this.users.contact(auth.userId);
    if (contact && !contact.verified) await this.mail.verification(auth.userId);
  }

  /**
   * The session the link names ends (`reported`) and the owner gets a reset link, in one
   * transaction with the link's use. An already ended session keeps its ending.
   */
  async notMe(token: string): Promise<void> {
    await this.tx.run(async (em) => {
      const { userId, sessionId } = await this.links.use('not_me', token, em);
      if (sessionId) await this.sessions.endReported(userId, sessionId, em);
      await this.mail.resetLink(userId, true, em);
    });
  }

  /**
   * Answers at once, whatever the email: finding the account, counting its mails and writing
   * the link run after the answer, so an unknown and a known email take the same path up to it
   * (no account enumeration by status, body or time).
   */
  forgotPassword(email: string): void {
    const account = normalizeEmail(email);
    this.background.start('password reset request', async () => {
      const userId = await this.users.findIdByEmail(account);
      if (userId) await this.mail.resetLink(userId, false);
    });
  }

  /**
   * Sets the password (hashed before the transaction: argon2 never holds it open), uses the link
   * and ends every session in one transaction. Following the link proved the address too.
   */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.links.check('reset_password', token);
    const passwordHash = await this.users.hashPassword(newPassword);
    const userId = await this.tx.run(async (em) => {
      const used = await this.links.use('reset_password', token, em);
      await this.credentials.replace(used.userId, passwordHash, 'all', em);
      return used.userId;
    });
    await this.users.markEmailVerified(userId);
  }
}
