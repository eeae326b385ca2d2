import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './create-test-app.js';
import { freePort } from './redis-server.js';

const root = join(__dirname, '..', '..');

/** The real entry point (dist/, built by the e2e globalSetup) in its own process: signals and exit codes are real. */
export interface BuiltService {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its exit code, once stdout and stderr are closed too. */
  exited: Promise<number | null>;
  /** The first line of its output matching `pattern`, as soon as it is written. */
  line(pattern: RegExp): Promise<string>;
}

/** `args`: what node runs; the service by default, e.g. the TypeORM CLI instead. */
export async function startService(
  env: Record<string, string> = {},
  args = ['dist/src/main.js'],
): Promise<BuiltService> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = text.split('\n').find((l) => pattern.test(l));
        if (found === undefined) return false;
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        resolve(found);
        return true;
      };
      if (check()) return;
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      void exited.then(() => check() || reject(new Error(`exited before ${pattern}:\n${text}`)));
    });
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => text, exited, line };
}
