import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import { BackgroundWork } from '../common/background-work.js';
import { newId } from '../common/random.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { Delivery, OutboxChannel } from '../outbox/outbox-channel.js';
import { Outbox } from '../outbox/outbox.js';
import { type Mail, MailTransport } from './mail.js';

export const MAIL_CHANNEL = 'mail';
export const MAIL_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1_000;
/** At shutdown, background work in flight gets this long to finish (main.ts allows 25 s in all). */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * The one way a mail leaves: `send(mail, em)` writes it to the outbox in `em`'s transaction (at
 * once outside one), so it goes out once that transaction commits, never for a change that was
 * rolled back, and also after a crash or restart. The outbox relay hands it to MailTransport in
 * the background (no request waits for an SMTP server), retrying twice with a doubling delay,
 * then keeps it as failed and logs it (kind and user only: a mail's text holds its link). Its
 * payload is sealed in the table and erased once sent.
 */
@Injectable()
export class MailQueue implements OutboxChannel<Mail>, OnModuleInit, OnApplicationShutdown {
  readonly name = MAIL_CHANNEL;
  readonly enabled = true;
  readonly maxAttempts = MAIL_ATTEMPTS;
  readonly retryDelayMs = RETRY_DELAY_MS;
  readonly sealed = true;
  private readonly logger = new Logger(MailQueue.name);

  constructor(
    private readonly transport: MailTransport,
    private readonly outbox: Outbox,
    private readonly tx: TransactionRunner,
    private readonly background: BackgroundWork,
  ) {}

  onModuleInit(): void {
    this.outbox.register(this);
  }

  send(mail: Mail, em: EntityManager = this.tx.manager): Promise<void> {
    return this.outbox.add(MAIL_CHANNEL, newId(), mail, em);
  }

  describe(mail: Mail): string {
    return `${mail.kind} to user ${mail.userId}`;
  }

  deliver({ payload }: Delivery<Mail>): Promise<void> {
    return this.transport.send(payload);
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
