// BENCH_CPU_PROF=<dir>: every bench server writes a V8 CPU profile of its whole life to <dir> when it exits
// (open it in Chrome DevTools › Performance). `--cpu-prof` itself is not allowed in NODE_OPTIONS, so the
// profiler is started here, through the inspector, by bench/launch.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let written = false;
  // The in-process session answers synchronously, so the profile is written even from `exit`.
  const write = () =>
    written ||
    session.post('Profiler.stop', (err, result) => {
      written = true;
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  process.once('exit', write);
  // The harness stops servers with SIGTERM: write then, and end the process as SIGTERM would have where the
  // server itself does not handle it.
  process.once('SIGTERM', () => {
    write();
    if (process.listenerCount('SIGTERM') === 0) process.exit(143);
  });
}
