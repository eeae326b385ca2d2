import { signPayload, verifySignature } from './webhook-signature.js';

describe('webhook signature', () => {
  const secret = 'a-secret-of-enough-length';
  const body = '{"type":"session.created"}';
  const now = 1_800_000_000;

  it('has the documented shape: t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    expect(signPayload(secret, body, now)).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
  });

  it('verifies its own signature within the tolerance', () => {
    expect(verifySignature(secret, body, signPayload(secret, body, now), now + 299)).toBe(true);
  });

  it.each([
    ['a stale timestamp', signPayload(secret, body, now - 301), body],
    ['a changed body', signPayload(secret, body, now), body.replace('created', 'revoked')],
    ['another secret', signPayload('another-secret-entirely', body, now), body],
    ['a malformed header', 'v1=abc', body],
    ['a truncated MAC', signPayload(secret, body, now).slice(0, -2), body],
    ['an empty header', '', body],
  ])('refuses %s', (_, header, received) => {
    expect(verifySignature(secret, received, header, now)).toBe(false);
  });
});
