import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyMysqlDatabase, mysqlServerConnection } from './utils/databases.js';
import { migrations } from '../src/database/migrations/index.js';
import { BuiltService, startService } from './utils/built-service.js';

const mysqlUrl = process.env.TEST_MYSQL_URL;
// What `npm run migration:run`, the Docker entrypoint and compose's migrate job run.
const cli = ['dist/src/migrate.js'];
const expected = migrations.map((m) => m.name).sort();

/** Three services and the migration command, started together on one database. */
const startFour = (env: Record<string, string>) =>
  Promise.all([startService(env), startService(env), startService(env), startService(env, cli)]);

async function expectAllUp(processes: BuiltService[]) {
  expect(await processes[3].exited).toBe(0);
  for (const service of processes.slice(0, 3)) {
    await service.line(/listening on/);
    expect((await fetch(`${service.base}/health`)).status).toBe(200);
  }
}

const killAll = (processes: BuiltService[]) => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
};

describe('migrations started together on an empty database', () => {
  (mysqlUrl ? it : it.skip)(
    'MariaDB: three services and the CLI all come up, each migration applied once',
    async () => {
      const { url, name } = await emptyMysqlDatabase('_lock');
      const conn = await mysqlServerConnection();
      await conn.query(`USE \`${name}\``);
      // TypeORM's own (empty) bookkeeping table, write-locked until all four are waiting: then
      // they all start from "nothing applied" at once, as instances started together do.
      await conn.query(
        'CREATE TABLE migrations (id int NOT NULL AUTO_INCREMENT, timestamp bigint NOT NULL, name varchar(255) NOT NULL, PRIMARY KEY (id))',
      );
      await conn.query('LOCK TABLES migrations WRITE');
      const processes = await startFour({ DATABASE_URL: url });
      try {
        const waiting = async () =>
          Number(
            (
              (await conn.query(
                `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND (STATE LIKE '%metadata lock%' OR STATE = 'User lock')`,
                [name],
              )) as [{ n: number }[], unknown]
            )[0][0].n,
          );
        while ((await waiting()) < 4) await sleep(20);
        await conn.query('UNLOCK TABLES');

        await expectAllUp(processes);
        const [rows] = (await conn.query('SELECT name FROM migrations')) as [{ name: string }[], unknown];
        expect(rows.map((r) => r.name).sort()).toEqual(expected);
      } finally {
        killAll(processes);
        await conn.end();
      }
    },
    60_000,
  );

  it('SQLite: three services and the CLI on one file all come up, each migration applied once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'migration-lock-')), 'db.sqlite');
    const processes = await startFour({ DATABASE_URL: `sqlite:${path}` });
    try {
      await expectAllUp(processes);
      const db = new Database(path, { readonly: true });
      const rows = db.prepare('SELECT name FROM migrations').all() as { name: string }[];
      db.close();
      expect(rows.map((r) => r.name).sort()).toEqual(expected);
    } finally {
      killAll(processes);
    }
  }, 60_000);
});
