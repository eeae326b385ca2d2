import type { MailContent } from './mail.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every value interpolated into a mail's HTML goes through this (names and devices are the user's, or an attacker's). */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** "3 December 2026, 08:38 UTC": mails are read anywhere, so in UTC and unambiguous. */
export function mailTime(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** "30 minutes", "24 hours": how long a link stays valid. */
export function duration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 172_800) return `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? '1 hour' : `${seconds / 3_600} hours`;
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** A paragraph of a mail: plain text, or a line with a button. */
type Block = string | { button: string; href: string } | { facts: [string, string][] };

/** One layout for every mail: the same blocks as plain text and as simple, inline-styled HTML. */
function compose(subject: string, greetingName: string | null, blocks: Block[]): MailContent {
  const greeting = greetingName ? `Hello ${greetingName},` : 'Hello,';
  const all: Block[] = [greeting, ...blocks, '— device-sessions'];
  const text = all
    .map((b) => {
      if (typeof b === 'string') return b;
      if ('button' in b) return `${b.button}:\n${b.href}`;
      return b.facts.map(([k, v]) => `${k}: ${v}`).join('\n');
    })
    .join('\n\n');
  const p = 'margin:0 0 16px;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;color:#1d2330';
  const html = all
    .map((b) => {
      if (typeof b === 'string') return `<p style="${p}">${escapeHtml(b)}</p>`;
      if ('button' in b)
        return (
          `<p style="${p}"><a href="${escapeHtml(b.href)}" style="display:inline-block;padding:10px 18px;` +
          `border-radius:8px;background:#2f5bea;color:#ffffff;text-decoration:none;font-weight:600">` +
          `${escapeHtml(b.button)}</a></p>` +
          `<p style="${p};font-size:13px;color:#5d6677">Or open this link: ${escapeHtml(b.href)}</p>`
        );
      const rows = b.facts
        .map(
          ([k, v]) =>
            `<tr><th align="left" style="padding:2px 16px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`,
        )
        .join('');
      return `<table style="${p};border-collapse:collapse">${rows}</table>`;
    })
    .join('\n');
  const links = all.flatMap((b) => (typeof b !== 'string' && 'button' in b ? [b.href] : []));
  return {
    subject,
    text: `${text}\n`,
    html: `<!doctype html>\n<html lang="en"><body style="margin:0;padding:24px;background:#f4f5f7">\n${html}\n</body></html>\n`,
    links,
  };
}

export interface Recipient {
  name: string | null;
}

export function verifyEmailMail(to: Recipient, link: string, ttlSeconds: number): MailContent {
  return compose('Confirm your email address', to.name, [
    'Please confirm that this is your email address, so that it can be used to recover your account.',
    { button: 'Confirm my email address', href: link },
    `The link works once, for ${duration(ttlSeconds)}. If you did not create an account, ignore this mail.`,
  ]);
}

export function resetPasswordMail(to: Recipient, link: string, ttlSeconds: number, reported: boolean): MailContent {
  return compose('Choose a new password', to.name, [
    reported
      ? 'You told us a sign-in to your account was not you. We signed that device out. Choose a new password now:' +
        ' it signs out every device, including any that knows your old password.'
      : 'Someone, hopefully you, asked to reset the password of your account.',
    { button: 'Choose a new password', href: link },
    `The link works once, for ${duration(ttlSeconds)}. Choosing a new password signs out every device.` +
      (reported ? '' : ' If you did not ask for this, ignore this mail: your password stays as it is.'),
  ]);
}

export interface SignIn {
  /** "Chrome on macOS (desktop)": from the parsed User-Agent, never the device name the client chose. */
  device: string;
  location: string;
  ipAddress: string | null;
  at: number;
}

export function signInAlertMail(
  to: Recipient,
  signIn: SignIn,
  links: { notMe: string; devices: string },
  ttlSeconds: number,
): MailContent {
  return compose('New sign-in to your account', to.name, [
    'Your account was just signed in to from a device it has not been used on before.',
    {
      facts: [
        ['Device', signIn.device],
        ['Approximate location', signIn.location],
        ['IP address', signIn.ipAddress ?? 'unknown'],
        ['Time', mailTime(signIn.at)],
      ],
    },
    'If this was you, there is nothing to do.',
    { button: 'This wasn’t me', href: links.notMe },
    `That link works once, for ${duration(ttlSeconds)}: it signs that device out and sends you a link to choose a ` +
      'new password. You can also review every device signed in to your account:',
    { button: 'Review my devices', href: links.devices },
  ]);
}

export function passwordChangedMail(
  to: Recipient,
  change: { at: number; reset: boolean },
  links: { reset: string },
): MailContent {
  return compose('Your password was changed', to.name, [
    change.reset
      ? `The password of your account was reset with a mailed link on ${mailTime(change.at)}. Every device was ` +
        'signed out.'
      : `The password of your account was changed on ${mailTime(change.at)}. Every other device was signed out.`,
    'If this was you, there is nothing to do. If it was not, choose a new password at once:',
    { button: 'Reset my password', href: links.reset },
  ]);
}
