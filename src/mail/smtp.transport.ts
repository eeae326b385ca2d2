import { createTransport, type Transporter } from 'nodemailer';
import { type Mail, MailTransport } from './mail.js';

/** Bounds every step, so a server that accepts and never answers cannot hold a delivery forever. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/**
 * SMTP_URL through nodemailer: `smtps://` is TLS from the first byte; `smtp://` upgrades with
 * STARTTLS whenever the server offers it. Credentials come from the URL. nodemailer logs nothing
 * unless asked, so no mail (and no token in it) reaches our log from here.
 */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(url: string, from: string) {
    super();
    this.transporter = createTransport({ url, ...TIMEOUTS }, { from });
  }

  async send(mail: Mail): Promise<void> {
    await this.transporter.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
  }

  override close(): void {
    this.transporter.close();
  }
}
