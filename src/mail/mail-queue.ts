import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import { BackgroundWork } from '../common/background-work.js';
import { safeErrorMessage } from '../common/logging.js';
import { AfterCommit } from '../database/after-commit.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type Mail, MailTransport } from './mail.js';

export const MAIL_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1_000;
/** At shutdown, deliveries in flight get this long to finish (main.ts allows 25 s in all). */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * The one way a mail leaves: `send(mail, em)` delivers it once the transaction of `em` has
 * committed (at once outside one), in the background, so no request waits for an SMTP server
 * and no mail tells of a change that was rolled back. Failed attempts are retried twice, with a
 * doubling delay, then logged (kind and user only: a mail's text holds its link).
 *
 * The seam for the transactional outbox: there, `send` writes the mail to the outbox in `em`'s
 * transaction and the relay hands it to MailTransport; callers stay as they are.
 */
@Injectable()
export class MailQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(MailQueue.name);

  constructor(
    private readonly transport: MailTransport,
    private readonly afterCommit: AfterCommit,
    private readonly tx: TransactionRunner,
    private readonly background: BackgroundWork,
  ) {}

  send(mail: Mail, em: EntityManager = this.tx.manager): Promise<void> {
    return this.afterCommit.onCommit(em, async () =>
      this.background.start(`mail ${mail.kind} to user ${mail.userId}`, () => this.deliver(mail)),
    );
  }

  private async deliver(mail: Mail): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.transport.send(mail);
        return;
      } catch (e) {
        if (attempt >= MAIL_ATTEMPTS) throw e;
        this.logger.warn(`mail ${mail.kind} to user ${mail.userId}: attempt ${attempt} failed: ${safeErrorMessage(e)}`);
        await sleep(RETRY_DELAY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** After the HTTP server drained (no request can start more), before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([this.background.idle(), sleep(SHUTDOWN_WAIT_MS, undefined, { signal: timeout.signal })]).catch(
      () => undefined,
    );
    timeout.abort();
    if (this.background.size > 0) this.logger.warn(`${this.background.size} background tasks cut off by shutdown`);
    this.transport.close();
  }
}
