import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, login, registerUser } from './factories/users.js';
import { captureLogs } from './utils/capture-logs.js';
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

/**
 * The fixture's bytes with one byte of a record's data changed, as a damaged download or disk
 * leaves it: `at` is found in the file, `offset` counts from it.
 */
function damaged(bytes: Buffer, at: string, offset: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  const i = copy.indexOf(Buffer.from(at, 'latin1'));
  if (i < 0) throw new Error(`${at} is not in the fixture`);
  copy[i + offset] = value;
  return copy;
}

const writeFixture = (name: string, bytes: Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

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

describe.each(testDatabases)('a damaged GeoIP data section on %s', (db) => {
  // 45.0.0.0/16 is looked up by no start probe: its record is damaged only where logins meet it.
  const bytes = buildMmdb([
    { cidr: '81.2.69.0/24', data: { country: { iso_code: 'GB' }, city: { names: { en: 'London' } } } },
    { cidr: '45.0.0.0/16', data: { country_code: 'FR', city: 'Paris' } },
  ]);

  it('never fails a login: no location is stored, and one warning is logged for the cause', async () => {
    // The control byte of the record's first key: its type and size no longer decode.
    const path = writeFixture(`damaged-late-${db}.mmdb`, damaged(bytes, 'country_code', -1, 0xff));
    const logs = captureLogs();
    const t = await createTestApp(db, { GEOIP_DB_PATH: path, LOG_LEVEL: 'warn' }, { logDestination: logs.stream });
    try {
      expect(await locationOf(t, '45.0.0.7')).toBeNull();
      expect(await locationOf(t, '45.0.200.9')).toBeNull();
      expect(await locationOf(t, '81.2.69.142')).toEqual({ country: 'GB', region: null, city: 'London' });
      const warnings = logs.lines().filter((l) => /location lookup failed/.test(String(l.msg)));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, context: 'GeoLocator' });
      expect(logs.lines().filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('a damaged GEOIP_DB_PATH file that a start probe meets stops the start with one clear line', () => {
  const bytes = buildMmdb([
    { cidr: '81.2.69.0/24', data: { country: { iso_code: 'GB' }, city: { names: { en: 'London' } } } },
  ]);
  const refusal = (path: string, why: string) =>
    new RegExp(
      `^Invalid configuration: GEOIP_DB_PATH: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a usable MaxMind database \\(${why}\\)$`,
    );

  it('a record that no longer decodes', async () => {
    const path = writeFixture('damaged-type.mmdb', damaged(bytes, 'iso_code', -1, 0xff));
    await expect(createTestApp('sqlite', { GEOIP_DB_PATH: path })).rejects.toThrow(
      refusal(path, 'looking up 81\\.2\\.69\\.142: .+'),
    );
  });

  it('a known address placed in another country', async () => {
    const path = writeFixture('damaged-country.mmdb', damaged(bytes, 'GB', 1, 'Q'.charCodeAt(0)));
    await expect(createTestApp('sqlite', { GEOIP_DB_PATH: path })).rejects.toThrow(
      refusal(path, 'it places 81\\.2\\.69\\.142 in GQ, not GB'),
    );
  });
});
