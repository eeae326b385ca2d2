import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, login, registerUser } from './factories/users.js';
import { createTestApp, TestApp } from './utils/create-test-app.js';
import { testDatabases } from './utils/databases.js';
import { buildMmdb } from './utils/mmdb-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'geo-'));
const fixture = join(dir, 'city.mmdb');
writeFileSync(
  fixture,
  buildMmdb([
    {
      cidr: '81.2.69.0/24',
      data: {
        country: { iso_code: 'GB' },
        subdivisions: [{ names: { en: 'England' } }],
        city: { names: { en: 'London' } },
      },
    },
    { cidr: '5.9.0.0/16', data: { country_code: 'DE', state1: 'Saxony', city: 'Falkenstein' } },
  ]),
);

async function locationOf(t: TestApp, ip: string): Promise<unknown> {
  const user = await registerUser(t.http);
  const pair = await login(t.http, user, { ip });
  const me = await t.http.get('/v1/auth/me').set('Authorization', bearer(pair)).expect(200);
  return me.body.session.location;
}

describe.each(testDatabases)('approximate location on %s', (db) => {
  describe('with the bundled DB-IP country database', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(db);
    });
    afterAll(() => t.close());

    it.each([
      ['8.8.8.8', 'US'],
      ['193.0.6.139', 'NL'],
      ['2001:67c:2e8:22::c100:68b', 'NL'],
    ])('resolves %s to its country', async (ip, country) => {
      expect(await locationOf(t, ip)).toEqual({ country, region: null, city: null });
    });

    it.each([
      '127.0.0.1',
      '10.1.2.3',
      '192.168.0.7',
      '172.16.5.4',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fd00::5',
      '203.0.113.10',
      '2001:db8::1',
    ])('gives null for the private, loopback or reserved address %s', async (ip) => {
      expect(await locationOf(t, ip)).toBeNull();
    });
  });

  describe('with GEOIP_DB_PATH pointing at a city database', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(db, { GEOIP_DB_PATH: fixture });
    });
    afterAll(() => t.close());

    it('reads a GeoIP2-shaped record', async () => {
      expect(await locationOf(t, '81.2.69.142')).toEqual({ country: 'GB', region: 'England', city: 'London' });
    });

    it('reads an ip-location-db-shaped record', async () => {
      expect(await locationOf(t, '5.9.10.11')).toEqual({ country: 'DE', region: 'Saxony', city: 'Falkenstein' });
    });

    it('gives null for an address the database does not know, and for IPv6 in an IPv4 database', async () => {
      expect(await locationOf(t, '8.8.8.8')).toBeNull();
      expect(await locationOf(t, '2001:67c:2e8:22::c100:68b')).toBeNull();
    });

    it('lists the location with the session', async () => {
      const user = await registerUser(t.http);
      const pair = await login(t.http, user, { ip: '81.2.69.142' });
      const res = await t.http.get('/v1/sessions').set('Authorization', bearer(pair)).expect(200);
      expect(res.body[0]).toMatchObject({
        ipAddress: '81.2.69.142',
        location: { country: 'GB', region: 'England', city: 'London' },
      });
    });
  });

  it('looks nothing up with GEOIP_DB_PATH=off', async () => {
    const t = await createTestApp(db, { GEOIP_DB_PATH: 'off' });
    try {
      expect(await locationOf(t, '8.8.8.8')).toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe('a bad GEOIP_DB_PATH stops the start with one clear line', () => {
  it.each([
    ['a missing file', join(dir, 'missing.mmdb')],
    [
      'a corrupt file',
      (() => {
        const p = join(dir, 'corrupt.mmdb');
        writeFileSync(p, 'not a database');
        return p;
      })(),
    ],
  ])('%s', async (_, path) => {
    await expect(createTestApp('sqlite', { GEOIP_DB_PATH: path })).rejects.toThrow(
      new RegExp(
        `^Invalid configuration: GEOIP_DB_PATH: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ` +
          'is not a readable MaxMind database \\(.+\\)$',
      ),
    );
  });
});
