import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, createConnection } from 'mysql2/promise';
import { freePort } from './redis-server.js';

const SERVER = '/usr/sbin/mariadbd';
const INSTALL = '/usr/bin/mariadb-install-db';

/** Whether a private MariaDB can be started here (the binaries are installed). */
export const canStartMariadb = existsSync(SERVER) && existsSync(INSTALL);

export interface MariadbServer {
  port: number;
  /** A root connection, for the test's own changes (read_only, users, ballast). */
  root: Connection;
  /** `mysql://user:password@127.0.0.1:port/db` */
  url(user: string, password: string, db: string): string;
  stop(): Promise<void>;
}

/**
 * A private, throw-away MariaDB for faults that must not touch the shared server (`read_only`, a
 * full tablespace). Its tables live in one system tablespace capped at `maxTablespaceMb`: when it
 * is full InnoDB answers "The table is full" (ER_RECORD_FILE_FULL), its answer to a full disk.
 */
export async function startMariadb(maxTablespaceMb = 64): Promise<MariadbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mariadb-'));
  const innodb = [
    '--innodb-file-per-table=0',
    `--innodb-data-file-path=ibdata1:12M:autoextend:max:${maxTablespaceMb}M`,
    '--innodb-log-file-size=4M',
    '--innodb-buffer-pool-size=16M',
  ];
  execFileSync(INSTALL, [
    '--no-defaults',
    `--datadir=${dir}/data`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ...innodb,
  ]);
  const port = await freePort();
  const child: ChildProcess = spawn(
    SERVER,
    [
      '--no-defaults',
      `--datadir=${dir}/data`,
      `--socket=${dir}/sock`,
      `--pid-file=${dir}/pid`,
      `--log-error=${dir}/error.log`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      '--skip-log-bin',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ...innodb,
    ],
    { stdio: 'ignore' },
  );
  let root: Connection | undefined;
  for (let i = 0; !root; i += 1) {
    try {
      root = await createConnection({ host: '127.0.0.1', port, user: 'root' });
    } catch (e) {
      if (i > 200 || child.exitCode !== null)
        throw new Error(`private mariadbd did not start: ${(e as Error).message}`, { cause: e });
      await sleep(25);
    }
  }
  return {
    port,
    root,
    url: (user, password, db) => `mysql://${user}:${password}@127.0.0.1:${port}/${db}`,
    stop: async () => {
      await root.end().catch(() => undefined);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
