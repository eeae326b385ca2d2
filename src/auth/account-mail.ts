import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/configuration.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { MailContent, MailKind } from '../mail/mail.js';
import { MailQueue } from '../mail/mail-queue.js';
import {
  passwordChangedMail,
  resetPasswordMail,
  type SignIn,
  signInAlertMail,
  verifyEmailMail,
} from '../mail/templates.js';
import type { SessionResponse } from '../sessions/dto/session.response.js';
import { UsersService } from '../users/users.service.js';
import { LinkTokens } from './link-tokens.js';
import { AttemptStore } from './rate-limit/attempt-store.js';

const HOUR_MS = 3_600_000;

/** How a sign-in alert names the device: from the parsed User-Agent only (a client picks its deviceName freely). */
export function signInOf(s: SessionResponse): SignIn {
  const browser = s.browser.name ?? 'An unknown browser';
  const os = s.os.name ? ` on ${s.os.name}` : '';
  const place = s.location ? [s.location.city, s.location.region, s.location.country].filter(Boolean) : [];
  return {
    device: `${browser}${os} (${s.device.type})`,
    location: place.length > 0 ? place.join(', ') : 'unknown',
    ipAddress: s.ipAddress,
    at: Date.parse(s.createdAt),
  };
}

/**
 * The mails of an account: what each says, which link it carries, and how many an account may
 * be sent. Reset mails (forgot password, "this wasn't me") and verification mails each count
 * against RESET_MAILS_PER_HOUR per account, atomically, across instances with Redis: past it, no
 * mail, and the caller's answer does not change.
 */
@Injectable()
export class AccountMail {
  private readonly logger = new Logger(AccountMail.name);
  private readonly perHour: number;

  constructor(
    private readonly users: UsersService,
    private readonly links: LinkTokens,
    private readonly queue: MailQueue,
    @Inject(AttemptStore) private readonly counters: AttemptStore,
    private readonly clock: Clock,
    private readonly tx: TransactionRunner,
    config: ConfigService<AppConfig, true>,
  ) {
    this.perHour = config.get('mail', { infer: true }).resetMailsPerHour;
  }

  /** The email verification link (registration, resend). */
  async verification(userId: string, em?: EntityManager): Promise<void> {
    await this.compose(userId, 'verify_email', em, async (to, tx) => {
      const link = await this.links.issue('verify_email', userId, { em: tx });
      return verifyEmailMail(to, link, this.links.ttlSeconds('verify_email'));
    });
  }

  /** A password reset link; `reported`: it follows a "this wasn't me". */
  async resetLink(userId: string, reported: boolean, em?: EntityManager): Promise<void> {
    await this.compose(userId, 'reset_password', em, async (to, tx) => {
      const link = await this.links.issue('reset_password', userId, { em: tx });
      return resetPasswordMail(to, link, this.links.ttlSeconds('reset_password'), reported);
    });
  }

  /** The new sign-in alert, with a "this wasn't me" link for that session. */
  async signInAlert(userId: string, session: SessionResponse): Promise<void> {
    await this.compose(userId, 'sign_in_alert', undefined, async (to, tx) => {
      const notMe = await this.links.issue('not_me', userId, { sessionId: session.id, em: tx });
      const devices = this.links.page('devices');
      return signInAlertMail(to, signInOf(session), { notMe, devices }, this.links.ttlSeconds('not_me'));
    });
  }

  /** The notice of a password change or reset; its link takes no token (they all died with the change). */
  async passwordChanged(userId: string, reset: boolean, em?: EntityManager): Promise<void> {
    await this.compose(userId, 'password_changed', em, async (to) =>
      passwordChangedMail(to, { at: this.clock.now(), reset }, { reset: this.links.page('reset_password') }),
    );
  }

  /**
   * The mail's link is stored and the mail queued in one transaction (the caller's, or one of its
   * own), so the mail goes out only once its link works.
   */
  private async compose(
    userId: string,
    kind: MailKind,
    em: EntityManager | undefined,
    content: (to: { name: string | null }, em: EntityManager) => Promise<MailContent>,
  ): Promise<void> {
    const to = await this.users.contact(userId);
    if (!to) return;
    if ((kind === 'reset_password' || kind === 'verify_email') && !(await this.withinLimit(userId, kind))) {
      this.logger.log(`${kind} mail to user ${userId} not sent: ${this.perHour} this hour already`);
      return;
    }
    const queue = async (tx: EntityManager) =>
      this.queue.send({ ...(await content(to, tx)), kind, userId, to: to.email }, tx);
    await (em ? queue(em) : this.tx.run(queue));
  }

  private async withinLimit(userId: string, kind: MailKind): Promise<boolean> {
    const { count } = await this.counters.hit(`mail:${kind}:${userId}`, HOUR_MS);
    return count <= this.perHour;
  }
}
