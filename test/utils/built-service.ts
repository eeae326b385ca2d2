import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export const root = join(__dirname, '..', '..');
export const builtMain = join(root, 'dist/src/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  /** Resolves with the first stdout line matching `ready`; rejects if the process exits first. */
  ready: Promise<string>;
  exited: Promise<Exit>;
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/**
 * Starts a command as a real process with exactly `env` (plus a PATH whose first `node` is the
 * one running the tests: Node 20 or 24 under .ci/run). Killed after 30 s, so a hang fails fast.
 */
export function start(
  command: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; ready?: RegExp } = {},
): Started {
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  const child = spawn(command[0], command.slice(1), { cwd: options.cwd ?? root, env: { PATH: path, ...env } });
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = options.ready && stdout.split('\n').find((l) => options.ready!.test(l));
      if (line) resolve(line);
    });
    void exited.then((e) => reject(new Error(`exited (${e.code}) before ${options.ready}:\n${e.stdout}\n${e.stderr}`)));
  });
  ready.catch(() => {});
  return {
    ready,
    exited,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs the built service (dist/src/main.js) until it exits, or until it logs `until` (then SIGTERM). */
export async function runBuilt(
  env: Record<string, string | undefined>,
  options: { cwd?: string; until?: RegExp } = {},
): Promise<Exit> {
  const service = start([process.execPath, builtMain], env, { cwd: options.cwd, ready: options.until });
  if (!options.until) return service.exited;
  return Promise.race([service.ready.then(() => service.stop()), service.exited]);
}

/** A TCP port nothing listens on right now (bound once on 127.0.0.1, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
