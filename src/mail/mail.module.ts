import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BackgroundWork } from '../common/background-work.js';
import type { AppConfig } from '../config/configuration.js';
import { LogMailTransport } from './log.transport.js';
import { MailTransport } from './mail.js';
import { MailQueue } from './mail-queue.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { SmtpMailTransport } from './smtp.transport.js';

function mailTransport(config: ConfigService<AppConfig, true>): MailTransport {
  const mail = config.get('mail', { infer: true });
  if (mail.smtpUrl) return new SmtpMailTransport(mail.smtpUrl, mail.from);
  const logger = new Logger('Mail');
  const production = config.get('app', { infer: true }).env === 'production';
  if (production)
    logger.warn(
      'SMTP_URL is not set: no mail is delivered (each is logged with its links redacted), so users cannot ' +
        'verify their email, reset a password or report a sign-in',
    );
  else logger.log('SMTP_URL is not set: each mail is written to this log with its links (never in production)');
  return new LogMailTransport(logger, production);
}

/** Mail out: the queue (an outbox channel: sent after commit, in the background) and its transport (SMTP, or the log). */
@Module({
  imports: [OutboxModule],
  providers: [
    MailQueue,
    { provide: MailTransport, inject: [ConfigService], useFactory: mailTransport },
    // Its shutdown wait runs in MailQueue, in a module that is not global: before the database closes.
    { provide: BackgroundWork, useFactory: () => new BackgroundWork(new Logger('Background')) },
  ],
  exports: [MailQueue, BackgroundWork],
})
export class MailModule {}
