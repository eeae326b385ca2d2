import ipaddr from 'ipaddr.js';

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it: `false` (the socket address is the client), a
 * number of trusted proxy hops, or the addresses/CIDRs of the trusted proxies. Never Fastify's
 * `true`, which trusts every hop and so takes the left-most X-Forwarded-For entry — the one the
 * client wrote.
 */
export type TrustProxy = false | number | string[];

const HOPS = /^\d{1,2}$/;

/** Dotted-quad IPv4 or IPv6 only: ipaddr.js also reads `1.5` or `100` as IPv4 addresses. */
const isAddress = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s) || (s.includes(':') && ipaddr.IPv6.isValid(s));
const isAddressOrCidr = (s: string) => {
  const [address, bits, ...rest] = s.split('/');
  return rest.length === 0 && isAddress(address) && (bits === undefined || ipaddr.isValidCIDR(s));
};

/**
 * `false`/`0`/`off`…, `true` (one hop: SPEC), a number of hops, or a comma-separated list of IPv4
 * and IPv6 addresses and CIDRs; undefined when the value is none of these.
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const v = value.trim().toLowerCase();
  if (['', 'false', 'no', 'off'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) return 1;
  if (HOPS.test(v)) return Number(v) === 0 ? false : Number(v);
  const entries = v.split(',').map((e) => e.trim());
  return entries.every(isAddressOrCidr) ? entries : undefined;
}

/**
 * The setting in the form Fastify applies as meant. Fastify now trusts nothing for a bare number
 * (it cannot tell a proxy from a client writing enough hops), so hops become proxy-addr's own
 * rule: the socket peer and the next N − 1 addresses from the right are proxies, and the address
 * the last of them reported is the client's. Hop counts therefore hold only when nothing can reach
 * the service but through those proxies; a list of proxy addresses holds either way.
 */
export function fastifyTrustProxy(
  setting: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}
