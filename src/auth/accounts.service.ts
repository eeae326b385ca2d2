import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthContext } from '../common/auth-context.js';
import { Clock } from '../common/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { Credentials } from './credentials.js';
import { LinkTokens } from './link-tokens.js';

/** The life of an account as a whole: its deletion by the owner, an admin disabling and enabling it. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly links: LinkTokens,
    private readonly audit: AuditService,
    private readonly credentials: Credentials,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  /**
   * An admin disables the account: in one transaction it is marked (its credential version
   * moving on, so a login that checked the password before the commit stores no session and
   * answers 403 `account_disabled`), every session ends (`admin`) and every unused mailed link
   * dies. Then no login succeeds (403 `account_disabled` for the
   * right password), and no mail goes to it (UsersService.contact): forgot-password and "this
   * wasn't me" send no reset link, so nothing lets the owner back in but an admin's enable.
   */
  async disable(userId: string): Promise<void> {
    await this.tx.run(async (em) => {
      await this.users.setDisabled(userId, this.clock.now(), em);
      await this.sessions.endAll(userId, 'admin', em);
      await this.links.revokeAll(userId, em);
    });
  }

  /** Logins work again (the sessions that disabling ended stay ended). */
  enable(userId: string): Promise<void> {
    return this.users.setDisabled(userId, null);
  }

  /**
   * DELETE /v1/users/me: the password is the proof (checked through the account lockout; a wrong
   * one is 403 and changes nothing). Then, in one transaction, every session ends
   * (`account_deleted`) and every row that holds the person goes — sessions (device, IP,
   * User-Agent, location), mailed links, login-audit rows, roles, the user — so the email can
   * register again. The sessions are evicted from every instance's cache once it commits. A
   * login that checked the password before the commit stores no session (its INSERT … SELECT
   * finds no user row) and is audited like an unknown email's.
   */
  async deleteAccount(auth: AuthContext, password: string): Promise<void> {
    await this.credentials.prove(auth.userId, password);
    const email = await this.users.emailOf(auth.userId);
    await this.tx.run(async (em) => {
      await this.sessions.eraseUser(auth.userId, em);
      await this.links.eraseUser(auth.userId, em);
      await this.audit.eraseUser(auth.userId, email, em);
      await this.users.delete(auth.userId, em);
    });
  }
}
