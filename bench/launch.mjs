// Every bench server starts through here (bench/harness.mjs forks `launch.mjs <server script>`): the GC
// counters first (bench/gc-stats.mjs) and, with BENCH_CPU_PROF, the profiler (bench/cpu-prof.mjs), then
// the service's V8 settings (src/v8-flags.ts, as src/main.ts sets them) unless BENCH_V8_DEFAULTS=1, then the server itself. So every server runs with the same V8
// settings, baselines included, and (f) or bench:pretenuring's defaults runs differ by that one switch.
import './gc-stats.mjs';
import './cpu-prof.mjs';

if (process.env.BENCH_V8_DEFAULTS !== '1') await import('../dist/src/v8-flags.js');
await import(process.argv[2]);
