import { apiError } from '../common/api-error.js';
import { HttpException, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { AuthContext } from '../common/auth-context.js';
import type { CheckedSession } from '../sessions/checked-session.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { IssuedPair } from '../sessions/refresh-cookie.js';
import { RefreshRotation } from '../sessions/refresh-rotation.js';
import { SessionCheck } from '../sessions/session-check.js';
import { LoginContext, SessionsService } from '../sessions/sessions.service.js';
import { normalizeEmail } from '../users/dto/email.rules.js';
import type { RegisterDto } from '../users/dto/register.dto.js';
import type { UserResponse } from '../users/dto/user.response.js';
import { UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from '../users/dto/change-password.dto.js';
import type { LoginDto } from './dto/login.dto.js';
import { LoginAttempts } from './login-attempts.js';
import { AccountMail } from './account-mail.js';
import { Credentials } from './credentials.js';
import { BackgroundWork } from '../common/background-work.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly rotation: RefreshRotation,
    private readonly check: SessionCheck,
    private readonly attempts: LoginAttempts,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly mail: AccountMail,
    private readonly credentials: Credentials,
    private readonly background: BackgroundWork,
  ) {}

  /** The account, then its verification mail (after the account committed). */
  async register(dto: RegisterDto): Promise<UserResponse> {
    const user = await this.users.register(dto);
    await this.mail.verification(user.id);
    return user;
  }

  /**
   * Same answer, and the same hashing work, for an unknown email and a wrong password; every
   * outcome is audited. The password check goes through the account lockout (LoginAttempts).
   */
  async login(dto: LoginDto, ctx: LoginContext): Promise<IssuedPair> {
    const account = normalizeEmail(dto.email);
    const attempt = { email: account, ip: ctx.ip, userAgent: ctx.userAgent };
    let checked: { userId: string | null; valid: boolean; disabled: boolean; credentialVersion: number };
    try {
      checked = await this.attempts.check(
        account,
        () => this.users.verifyCredentials(account, dto.password),
        (r) => r.valid,
      );
    } catch (e) {
      if (e instanceof HttpException && e.getStatus() === 429)
        await this.audit.recordLogin({
          ...attempt,
          userId: await this.users.findIdByEmail(account),
          outcome: 'locked',
        });
      throw e;
    }
    const { userId, valid, credentialVersion } = checked;
    const refuse = async (audited: string | null) => {
      await this.audit.recordLogin({ ...attempt, userId: audited, outcome: 'invalid_credentials' });
      return apiError(401, 'invalid_credentials', 'Invalid email or password');
    };
    const disabled = async (id: string) => {
      await this.audit.recordLogin({ ...attempt, userId: id, outcome: 'disabled' });
      return apiError(403, 'account_disabled', 'This account is disabled');
    };
    if (!userId || !valid) throw await refuse(userId);
    // Told only to whoever knows the password: a wrong one gets the usual 401 above.
    if (checked.disabled) throw await disabled(userId);
    // The session and its audit row commit together or not at all. Null when the credential
    // version moved on since the check: a password change or reset, a disable or a deletion
    // committed meanwhile. The login answers as it would have after it (a deleted account as an
    // unknown email, so no audit row names its id).
    const created = await this.tx.run(async (em) => {
      const session = await this.sessions.create(userId, credentialVersion, { ...ctx, deviceName: dto.deviceName }, em);
      if (session) await this.audit.recordLogin({ ...attempt, userId, outcome: 'success' }, em);
      return session;
    });
    if (!created) {
      const standing = await this.users.standing(userId);
      throw standing === 'disabled' ? await disabled(userId) : await refuse(standing === 'gone' ? null : userId);
    }
    const issued = this.rotation.issue(created);
    // Behind the answer: a login neither waits for nor fails over its alert (a failure is logged).
    const alert = created.alert;
    if (alert) this.background.start(`sign-in alert for user ${userId}`, () => this.mail.signInAlert(userId, alert));
    return issued;
  }

  refresh(refreshToken: string, ip?: string): Promise<IssuedPair> {
    return this.rotation.refresh(refreshToken, ip);
  }

  logout(auth: AuthContext): Promise<void> {
    return this.sessions.logout(auth);
  }

  /**
   * Recent authentication: the password, checked like the current password of a change (the
   * same lockout counter), renews this session's proof for REAUTH_MAX_AGE.
   */
  async reauthenticate(auth: AuthContext, password: string): Promise<void> {
    await this.credentials.prove(auth.userId, password);
    await this.sessions.markAuthenticated(auth);
  }

  /** GET /v1/auth/me's body as JSON (a MeResponse), from what the session check read. */
  me(auth: CheckedSession): Promise<string> {
    return this.check.me(auth);
  }

  /**
   * The new password takes effect and every other session ends in one transaction; this one stays.
   * The current password is checked through the account lockout, in the same counter as logins,
   * so a stolen access token cannot be used to guess the password.
   */
  async changePassword(auth: AuthContext, dto: ChangePasswordDto): Promise<void> {
    await this.credentials.prove(auth.userId, dto.currentPassword, 'Current password is wrong');
    const passwordHash = await this.users.hashPassword(dto.newPassword);
    await this.credentials.replace(auth.userId, passwordHash, { keep: auth.sessionId });
  }
}
