import { apiHeaders, isPage, pageHeaders } from './security-headers.js';

describe('security headers', () => {
  it.each(['/docs', '/docs/', '/docs?x=1', '/docs/swagger-ui.css', '/account/devices', '/account/devices.js'])(
    '%s is a page (helmet set)',
    (url) => {
      expect(isPage(url)).toBe(true);
    },
  );

  it.each(['/docs-json', '/docsx', '/v1/auth/me', '/health', '/account', '/', '/v1/docs'])(
    '%s answers JSON (API set)',
    (url) => {
      expect(isPage(url)).toBe(false);
    },
  );

  it('the API set forbids caching and framing, and shares HSTS, nosniff and the referrer policy with the pages', () => {
    const pages = pageHeaders();
    expect(apiHeaders(pages)).toEqual({
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(pages['content-security-policy']).toContain("script-src 'self'");
  });
});
