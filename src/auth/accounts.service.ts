import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthContext } from '../common/auth-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { Credentials } from './credentials.js';
import { LinkTokens } from './link-tokens.js';

/** The life of an account as a whole: its deletion by the owner. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly links: LinkTokens,
    private readonly audit: AuditService,
    private readonly credentials: Credentials,
    private readonly tx: TransactionRunner,
  ) {}

  /**
   * DELETE /v1/users/me: the password is the proof (checked through the account lockout; a wrong
   * one is 403 and changes nothing). Then, in one transaction, every session ends
   * (`account_deleted`) and every row that holds the person goes — sessions (device, IP,
   * User-Agent, location), mailed links, login-audit rows, roles, the user — so the email can
   * register again. The sessions are evicted from every instance's cache once it commits.
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
