import { isIP } from 'node:net';

/** Whether a URL's host is this machine: an `http://` receiver is allowed there only (tests, a sidecar). */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * SET_RECEIVERS: comma-separated URLs that receive the Security Event Tokens, each `https://`,
 * or `http://` on a loopback address; no credentials, no fragment, none twice. Each URL is also
 * the `aud` of the SETs it receives, exactly as written (a trailing slash included).
 */
export function parseSetReceivers(value: string): { receivers: string[] } | { error: string } {
  const receivers: string[] = [];
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { error: `"${entry}" is not a URL` };
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)))
      return { error: `"${entry}" must be https:// (http:// only on a loopback address)` };
    if (url.username || url.password || url.hash)
      return { error: `"${url.origin}…" must carry no credentials or fragment` };
    if (receivers.includes(entry)) return { error: `"${entry}" is listed twice` };
    receivers.push(entry);
  }
  return { receivers };
}
