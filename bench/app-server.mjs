// (a)/(b)/(e): our app (bench/app.mjs) with src/main.ts's V8 settings (src/v8-flags.ts) set first, as
// main.ts does. (f), BENCH_V8_DEFAULTS=1: the same app on V8's defaults, to price those settings.
// Every server of the bench runs with these settings but (f) (and the defaults runs of bench:pretenuring).
import './gc-stats.mjs';

if (process.env.BENCH_V8_DEFAULTS !== '1') await import('../dist/src/v8-flags.js');
await import('./app.mjs');
