import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp } from './utils/create-test-app.js';

const pragma = async (t: Awaited<ReturnType<typeof createTestApp>>, name: string) =>
  Object.values((await t.dataSource.query(`PRAGMA ${name}`))[0] as Record<string, unknown>)[0];

/**
 * synchronous=FULL is ours to set: left alone, the driver's build default gives NORMAL as soon
 * as the file is in WAL mode, i.e. on every boot after the first, and NORMAL may lose the last
 * commits (a revocation among them) on power loss.
 */
describe('SQLite durability settings', () => {
  it('runs a file database in WAL mode with synchronous=FULL, on its first boot and on every later one', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'durability-')), 'db.sqlite')}`;
    for (const boot of ['first', 'second']) {
      const t = await createTestApp('sqlite', { DATABASE_URL: url });
      try {
        expect({ boot, journal: await pragma(t, 'journal_mode'), synchronous: await pragma(t, 'synchronous') }).toEqual(
          { boot, journal: 'wal', synchronous: 2 },
        );
      } finally {
        await t.close();
      }
    }
  });
});
