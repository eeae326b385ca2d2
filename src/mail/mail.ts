/** What a mail is about: named in log lines instead of its content. */
export type MailKind = 'verify_email' | 'reset_password' | 'sign_in_alert' | 'password_changed';

/** A mail's body in both forms; `links` are the URLs it carries (the log transport shows them). */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
  links: string[];
}

export interface Mail extends MailContent {
  kind: MailKind;
  /** The account it goes to: log lines name it rather than the address. */
  userId: string;
  to: string;
}

/** Hands a mail on for delivery: to an SMTP server, or to the log without one. Throws when it could not. */
export abstract class MailTransport {
  abstract send(mail: Mail): Promise<void>;
  /** Releases connections at shutdown. */
  close(): void {}
}
