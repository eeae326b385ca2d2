import { redactLinks } from './log.transport.js';
import { duration, escapeHtml, mailTime, passwordChangedMail, signInAlertMail, verifyEmailMail } from './templates.js';

describe('mail templates', () => {
  it('escapes every interpolated value in the HTML, and keeps the text as it is', () => {
    const hostile = `<img src=x onerror="alert('x')">&`;
    const mail = signInAlertMail(
      { name: hostile },
      { device: hostile, location: 'DE', ipAddress: '203.0.113.7', at: Date.UTC(2026, 11, 3, 8, 38) },
      { notMe: 'https://a.example/account/not-me#token=abc"><script>', devices: 'https://a.example/account/devices' },
      1800,
    );
    expect(mail.html).not.toMatch(/<img|<script|onerror="/);
    expect(mail.html).toContain('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;');
    expect(mail.text).toContain(`Hello ${hostile},`);
    expect(mail.text).toContain(`Device: ${hostile}`);
    expect(mail.links).toEqual([
      'https://a.example/account/not-me#token=abc"><script>',
      'https://a.example/account/devices',
    ]);
  });

  it('puts each link in the text and the HTML alike, and says how long it works', () => {
    const mail = verifyEmailMail({ name: null }, 'https://a.example/account/verify#token=T', 86_400);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain('Hello,');
    expect(mail.text).toContain('https://a.example/account/verify#token=T');
    expect(mail.html).toContain('href="https://a.example/account/verify#token=T"');
    expect(mail.text).toContain('for 24 hours');
  });

  it('sends no token in the password-changed notice', () => {
    const mail = passwordChangedMail(
      { name: 'Ada' },
      { at: 0, reset: false },
      { reset: 'https://a.example/account/reset' },
    );
    expect(mail.links).toEqual(['https://a.example/account/reset']);
    expect(mail.text).not.toContain('#token=');
  });

  it.each([
    [1800, '30 minutes'],
    [60, '1 minute'],
    [3600, '1 hour'],
    [86_400, '24 hours'],
    [172_800, '2 days'],
    [90, '2 minutes'],
  ])('words %i seconds as %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it('gives times in UTC', () => {
    expect(mailTime(Date.UTC(2026, 11, 3, 8, 5))).toBe('3 December 2026, 08:05 UTC');
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});

describe('the log transport in production', () => {
  it('redacts the token of every link, and nothing else', () => {
    expect(redactLinks('open https://a.example/account/reset#token=AbC-_9 now')).toBe(
      'open https://a.example/account/reset#token=[redacted] now',
    );
    expect(redactLinks('https://a.example/account/devices')).toBe('https://a.example/account/devices');
  });
});
