import type { Logger } from '@nestjs/common';
import { type Mail, MailTransport } from './mail.js';

/** The token of a mailed link: the fragment is all a link carries of it. */
const LINK_TOKEN = /#token=[A-Za-z0-9_-]+/g;
export const redactLinks = (s: string): string => s.replace(LINK_TOKEN, '#token=[redacted]');

/**
 * Without SMTP_URL, mails are written to the log. Outside production with their links, so that a
 * developer running `npm start` can follow every flow: the one deliberate exception to "logs never
 * carry a mailed token", and one a deployment cannot fall into by forgetting SMTP_URL, because
 * with NODE_ENV=production the tokens are redacted (the links are then useless: warned at boot).
 */
export class LogMailTransport extends MailTransport {
  constructor(
    private readonly logger: Logger,
    private readonly redact: boolean,
  ) {
    super();
  }

  async send(mail: Mail): Promise<void> {
    const shown = (s: string) => (this.redact ? redactLinks(s) : s);
    const entry = {
      kind: mail.kind,
      userId: mail.userId,
      to: mail.to,
      subject: mail.subject,
      links: mail.links.map(shown),
      text: shown(mail.text),
    };
    if (this.redact) this.logger.warn({ msg: 'mail not delivered: SMTP_URL is not set', mail: entry });
    else this.logger.log({ msg: 'mail (SMTP_URL is not set: written here instead of sent)', mail: entry });
  }
}
