import { UAParser } from 'ua-parser-js';

export const DEVICE_TYPES = [
  'desktop',
  'mobile',
  'tablet',
  'smarttv',
  'wearable',
  'console',
  'embedded',
  'unknown',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface ParsedDevice {
  deviceName: string;
  deviceType: DeviceType;
  deviceVendor: string | null;
  deviceModel: string | null;
  browserName: string | null;
  browserVersion: string | null;
  osName: string | null;
  osVersion: string | null;
}

// ua-parser-js 1.x leaves device.type empty on desktops; these operating systems mean a desktop.
const DESKTOP_OS = new RegExp(
  '^(windows|mac os|macos|linux|ubuntu|debian|fedora|mint|arch|gentoo|suse|opensuse|red hat|centos|' +
    'chromium os|chrome os|freebsd|openbsd|netbsd|solaris|unix)',
  'i',
);
const FRIENDLY_OS: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS' };

const cut = (value: string | undefined, max: number): string | null => (value ? value.slice(0, max) : null);

export function parseUserAgent(userAgent: string | undefined, deviceName?: string): ParsedDevice {
  const ua = new UAParser(userAgent ?? '').getResult();
  const osName = ua.os.name ? (FRIENDLY_OS[ua.os.name] ?? ua.os.name) : undefined;
  const known = DEVICE_TYPES as readonly string[];
  const deviceType: DeviceType =
    ua.device.type && known.includes(ua.device.type)
      ? (ua.device.type as DeviceType)
      : osName && DESKTOP_OS.test(ua.os.name ?? '')
        ? 'desktop'
        : 'unknown';
  // "on iPhone" / "on iPad" tells Apple's phones and tablets apart, where "on iOS" would not.
  const platform = ua.device.model && /^(iPhone|iPad|iPod)/.test(ua.device.model) ? ua.device.model : osName;
  const derived =
    ua.browser.name && platform
      ? `${ua.browser.name} on ${platform}`
      : (ua.browser.name ?? (osName ? `${osName} device` : 'Unknown device'));
  return {
    deviceName: (deviceName?.trim() || derived).slice(0, 100),
    deviceType,
    deviceVendor: cut(ua.device.vendor, 64),
    deviceModel: cut(ua.device.model, 64),
    browserName: cut(ua.browser.name, 64),
    browserVersion: cut(ua.browser.version, 32),
    osName: cut(osName, 64),
    osVersion: cut(ua.os.version, 32),
  };
}

/** Fastify reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d. */
export function normalizeIp(ip: string | undefined): string | null {
  if (!ip) return null;
  return (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip).slice(0, 45);
}
