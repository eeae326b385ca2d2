// V8 settings for a long-running request server. Imported first by main.ts (and by the bench's app
// server), so they hold before Nest, TypeORM and the rest load.
import { setFlagsFromString } from 'node:v8';

// Allocation-site pretenuring off. V8 watches where objects are created and, when nearly all of a
// site's objects outlive a young-generation collection, creates that site's later objects directly in
// the old generation. At startup Nest, TypeORM and Fastify build their long-lived tables through code
// that later runs on every request, and those sites get tenured for good: each request's short-lived
// objects then land in the old generation. Measured under load (bench/, `GET /v1/auth/me`, 32
// connections): scavenges went from ~0.5 to ~5 ms each, and a full mark-compact came every ~0.7 s
// instead of every ~6 s; p99 went from 5–6 ms to 10–16 ms and server CPU per request rose by a third.
// The stateless baseline, which loads far less at startup, kept the cheap pattern either way. Without
// pretenuring a long-lived object is copied once or twice on its way to the old generation: nothing
// for a server whose long-lived state (caches, pools) is built once. The flag exists on every Node.js
// from 12 on; setting it here, before the application's code runs, acts as `node
// --no-allocation-site-pretenuring` does (the same GC figures either way), and it is not accepted in
// NODE_OPTIONS.
setFlagsFromString('--no-allocation-site-pretenuring');
