import { normalizeIp, parseUserAgent } from './device.js';

describe('parseUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/131.0.0.0 Safari/537.36',
      'Chrome on macOS',
      'desktop',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox on Windows',
      'desktop',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome on Linux',
      'desktop',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
        'Version/17.5 Mobile/15E148 Safari/604.1',
      'Mobile Safari on iPhone',
      'mobile',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 ' +
        'Mobile Safari/537.36',
      'Chrome on Android',
      'mobile',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 ' +
        'Mobile/15E148 Safari/604.1',
      'Mobile Safari on iPad',
      'tablet',
    ],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 ' +
        'Chrome/76.0.3809.146 TV Safari/537.36',
      'Samsung Internet on Tizen',
      'smarttv',
    ],
    ['Mozilla/5.0 (PlayStation 5 3.11) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'WebKit on PlayStation', 'console'],
    ['curl/8.5.0', 'Unknown device', 'unknown'],
  ])('%s → %s (%s)', (ua, name, type) => {
    const d = parseUserAgent(ua);
    expect(d.deviceName).toBe(name);
    expect(d.deviceType).toBe(type);
  });

  it('keeps every field present, null when unknown', () => {
    expect(parseUserAgent(undefined)).toEqual({
      deviceName: 'Unknown device',
      deviceType: 'unknown',
      deviceVendor: null,
      deviceModel: null,
      browserName: null,
      browserVersion: null,
      osName: null,
      osVersion: null,
    });
  });

  it('prefers the given device name, trimmed and bounded', () => {
    expect(parseUserAgent('curl/8', '  Work laptop ').deviceName).toBe('Work laptop');
    expect(parseUserAgent('curl/8', 'x'.repeat(300)).deviceName).toHaveLength(100);
    expect(parseUserAgent('curl/8', '   ').deviceName).toBe('Unknown device');
  });
});

describe('normalizeIp', () => {
  it.each([
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['198.51.100.1', '198.51.100.1'],
    [undefined, null],
  ])('%s → %s', (input, out) => expect(normalizeIp(input)).toBe(out));
});
