// (c)/(c+ops): the stateless baseline (bench/stateless-app.mjs) with the same V8 settings as our app
// (src/v8-flags.ts), so the two differ by the session check, not by the luck of V8's pretenuring at
// startup. BENCH_V8_DEFAULTS=1 runs it on V8's defaults (npm run bench:pretenuring).
import './gc-stats.mjs';

if (process.env.BENCH_V8_DEFAULTS !== '1') await import('../dist/src/v8-flags.js');
await import('./stateless-app.mjs');
