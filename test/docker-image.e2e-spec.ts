import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../src/database/migrations/index.js';
import { freePort, root, start } from './utils/built-service.js';

/**
 * No Docker engine runs where the tests run, so this does what the image does, step by step,
 * read from the Dockerfile itself: the build stage's node_modules pruned by docker/prune.sh, the
 * runtime stage's COPY lines into a directory standing for /app, its ENV, its VOLUME directories,
 * its ENTRYPOINT (less the init, tini, which only forwards signals) and its HEALTHCHECK command.
 */
interface RuntimeStage {
  env: Record<string, string>;
  copies: { from?: string; sources: string[]; dest: string; chmod?: string }[];
  volumes: string[];
  entrypoint: string[];
  healthcheck: string[];
}

function readRuntimeStage(): RuntimeStage {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const last = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const stage: RuntimeStage = { env: {}, copies: [], volumes: [], entrypoint: [], healthcheck: [] };
  for (const line of lines.slice(last + 1)) {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    const args = line.trim().slice(instruction.length).trim();
    switch (instruction.toUpperCase()) {
      case 'ENV':
        for (const pair of rest) {
          const [k, v] = pair.split('=');
          stage.env[k] = v;
        }
        break;
      case 'COPY': {
        const flags = Object.fromEntries(
          rest.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=') as [string, string]),
        );
        const paths = rest.filter((w) => !w.startsWith('--'));
        stage.copies.push({ from: flags.from, sources: paths.slice(0, -1), dest: paths.at(-1)!, chmod: flags.chmod });
        break;
      }
      case 'VOLUME':
        stage.volumes.push(...(JSON.parse(args) as string[]));
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK':
        stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim()) as string[];
        break;
      case 'WORKDIR':
        expect(args).toBe('/app');
        break;
    }
  }
  return stage;
}

/** The image's /app, as a directory; `build` stands for the build stage's /app. */
function assembleImage(stage: RuntimeStage): { app: string; build: string } {
  const dir = mkdtempSync(join(tmpdir(), 'image-'));
  const build = join(dir, 'build');
  const app = join(dir, 'app');
  mkdirSync(build);
  mkdirSync(app);
  // The build stage: the dependencies as installed (hard links: quick, and pruning a link leaves
  // the original alone), then the Dockerfile's own prune script.
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(build, f));
  try {
    execFileSync('cp', ['-al', join(root, 'node_modules'), join(build, 'node_modules')]);
  } catch {
    cpSync(join(root, 'node_modules'), join(build, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  // npm rewrites its hidden lockfile: a copy of its own, never the linked original.
  rmSync(join(build, 'node_modules/.package-lock.json'), { force: true });
  cpSync(join(root, 'node_modules/.package-lock.json'), join(build, 'node_modules/.package-lock.json'));
  execFileSync('sh', [join(root, 'docker/prune.sh')], {
    cwd: build,
    env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}` },
    stdio: 'pipe',
  });
  // `npm run build` ran in the build stage; here Jest's global setup built dist/ from the same sources.
  const fromBuild = (p: string) => (existsSync(join(build, p.replace(/^\/app\//, ''))) ? build : root);
  for (const copy of stage.copies) {
    for (const source of copy.sources) {
      const rel = source.replace(/^\/app\//, '');
      const from = copy.from === 'build' ? fromBuild(source) : root;
      const dest = copy.dest.endsWith('/') ? join(app, copy.dest, rel.split('/').pop()!) : join(app, copy.dest);
      cpSync(join(from, rel), dest, { recursive: true, verbatimSymlinks: true });
      if (copy.chmod) chmodSync(dest, parseInt(copy.chmod, 8));
    }
  }
  for (const volume of stage.volumes) mkdirSync(join(app, volume.replace(/^\/app\/?/, '')), { recursive: true });
  return { app, build };
}

describe('the Docker image, without Docker: prune, entrypoint, health check, SIGTERM', () => {
  let stage: RuntimeStage;
  let app: string;
  let command: string[];
  const secret = 'image-test-secret-that-is-at-least-32-characters';

  beforeAll(() => {
    stage = readRuntimeStage();
    ({ app } = assembleImage(stage));
    // The init (tini --) forwards signals and reaps; what it starts is the image's own path.
    command = stage.entrypoint[0].endsWith('tini')
      ? stage.entrypoint.slice(stage.entrypoint.indexOf('--') + 1)
      : stage.entrypoint;
  }, 120_000);

  it('declares what the image promises: production, all interfaces, a data volume, an init', () => {
    expect(stage.env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(stage.volumes).toEqual(['/app/data']);
    expect(stage.entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(command).toEqual(['./entrypoint.sh']);
  });

  it('ships production dependencies only: no typescript, no dev tools', () => {
    const dev = Object.keys(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
        .devDependencies,
    ).filter((name) => !name.startsWith('@types/'));
    expect(dev).toContain('typescript');
    expect(dev.filter((name) => existsSync(join(app, 'node_modules', name)))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/better-sqlite3'))).toBe(true);
    expect(existsSync(join(root, 'node_modules/typescript'))).toBe(true);
  });

  it('migrates the data volume, passes its health check, drains on SIGTERM, exits 0; every line JSON', async () => {
    const port = await freePort();
    const env = { ...stage.env, PORT: String(port), JWT_SECRET: secret };
    const service = start(command, env, { cwd: app, ready: /device-sessions listening/ });
    let exit;
    try {
      await service.ready;
      const check = start(stage.healthcheck, env, { cwd: app });
      expect((await check.exited).code).toBe(0);
      const index = await fetch(`http://127.0.0.1:${port}/`);
      expect(await index.json()).toMatchObject({ name: 'device-sessions', links: { docs: '/docs' } });
    } finally {
      exit = await service.stop('SIGTERM');
    }
    expect({ code: exit.code, signal: exit.signal, stderr: exit.stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
    const lines = exit.stdout.trimEnd().split('\n');
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as { msg?: string; migration?: string };
      } catch {
        return line;
      }
    });
    expect(parsed.filter((l) => typeof l === 'string')).toEqual([]);
    const records = parsed as { msg?: string; migration?: string }[];
    expect(records.filter((l) => l.msg === 'migration applied').map((l) => l.migration)).toEqual(
      migrations.map((m) => m.name),
    );
    expect(records.at(-1)?.msg).toMatch(/^stopped/);
    const db = new Database(join(app, 'data/device-sessions.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM migrations').get()).toEqual({ n: migrations.length });
    } finally {
      db.close();
    }
  }, 60_000);

  /** Runs the entrypoint on a fresh SQLite file; resolves with how many migrations it holds (null: no table). */
  async function migratedWith(value: string | undefined): Promise<number | null> {
    const dir = mkdtempSync(join(tmpdir(), 'image-db-'));
    const port = await freePort();
    const env = {
      ...stage.env,
      PORT: String(port),
      JWT_SECRET: secret,
      DATABASE_URL: `sqlite:${dir}/db.sqlite`,
      MIGRATIONS_RUN: value,
    };
    const service = start(command, env, { cwd: app, ready: /device-sessions listening/ });
    try {
      await service.ready;
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
    const db = new Database(`${dir}/db.sqlite`, { readonly: true });
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").get();
      return table ? (db.prepare('SELECT COUNT(*) AS n FROM migrations').get() as { n: number }).n : null;
    } finally {
      db.close();
    }
  }

  // One parser: the entrypoint asks the service's own configuration code, so every spelling the
  // service accepts means the same to the entrypoint.
  it.each([undefined, 'true', '1', 'yes', 'on', 'false', '0', 'off'])(
    'MIGRATIONS_RUN=%s means to the entrypoint what it means to the service',
    async (value) => {
      const on = value === undefined || ['true', '1', 'yes', 'on'].includes(value.toLowerCase());
      expect(await migratedWith(value)).toBe(on ? migrations.length : null);
    },
    30_000,
  );

  it('MIGRATIONS_RUN=maybe stops the container before the service starts, with one line', async () => {
    const result = await start(
      command,
      { ...stage.env, PORT: '0', JWT_SECRET: secret, MIGRATIONS_RUN: 'maybe' },
      { cwd: app },
    ).exited;
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'Invalid configuration: MIGRATIONS_RUN: MIGRATIONS_RUN must be true or false (or 1/0, yes/no, on/off)',
    ]);
  }, 30_000);
});
