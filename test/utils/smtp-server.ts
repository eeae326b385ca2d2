import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export const SMTP_USER = 'mailer';
export const SMTP_PASS = 'smtp-test-password';

export interface ReceivedMail {
  /** The envelope, as the client sent it. */
  from: string;
  to: string[];
  /** Who authenticated (AUTH), as the server saw it. */
  user: string | undefined;
  parsed: ParsedMail;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtp {
  /** `smtp://USER:PASS@127.0.0.1:PORT` for SMTP_URL. */
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** Waits (up to 10 s) for a mail to `to` that `match` accepts and that was not taken before, and takes it. */
  next(to: string, match?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail>;
  /** The mails to `to` received so far and not taken. */
  waiting(to: string): ReceivedMail[];
  /** The next `n` mails are refused with a temporary error (451), as a full or failing server would. */
  refuseNext(n: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the `smtp-server` package, nodemailer's own) on a loopback port, for the
 * tests: it requires AUTH with SMTP_USER/SMTP_PASS and parses each mail with `mailparser`
 * before it answers 250, so a mail the service counts as sent is already in `mails`. STARTTLS is
 * off: its built-in certificate is self-signed, and the service would rightly refuse it.
 */
export async function startSmtpServer(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  let refuse = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (refuse > 0) {
            refuse -= 1;
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
            return;
          }
          const mail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            parsed,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          };
          mails.push(mail);
          callback();
        })
        .catch((e: Error) => callback(e));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const candidates = (to: string, match: (m: ReceivedMail) => boolean) =>
    mails.filter((m) => !taken.has(m) && m.to.includes(to) && match(m));
  return {
    url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${port}`,
    port,
    mails,
    async next(to, match = () => true) {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        const [found] = candidates(to, match);
        if (found) {
          taken.add(found);
          return found;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no mail to ${to} within 10 s (received: ${mails.map((m) => m.subject).join(', ')})`);
    },
    waiting: (to) => candidates(to, () => true),
    refuseNext(n) {
      refuse = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The link to `path` in a mail: the same in its text and its HTML; the token is what follows `#token=`. */
export function linkIn(mail: ReceivedMail, path: string): { url: string; token: string } {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = new RegExp(`(https?://[^\\s"<>]*${escaped})#token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!found) throw new Error(`no ${path} link in the mail "${mail.subject}":\n${mail.text}`);
  if (!mail.html.includes(`${found[1]}#token=${found[2]}`))
    throw new Error(`the HTML of "${mail.subject}" lacks the link`);
  return { url: `${found[1]}#token=${found[2]}`, token: found[2] };
}
