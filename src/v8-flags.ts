// V8 settings for a long-running request server. Imported first by main.ts (and by the bench's app
// server), so they hold before Nest, TypeORM and the rest load.
import { setFlagsFromString } from 'node:v8';

// Allocation-site pretenuring off. V8 watches where objects are created and, when nearly all of a
// site's objects outlive a young-generation collection, creates that site's later objects directly in
// the old generation, for good. Nest, TypeORM and Fastify build their long-lived tables at startup
// through code that later runs on every request; when such a site is tenured, each request's
// short-lived objects land in the old generation. Whether it happens depends on when collections fall
// during startup and warm-up, so it varies from one start to the next. In side-by-side runs of `GET
// /v1/auth/me` under load (`npm run bench:pretenuring` and its forerunners, 32 connections; README ›
// Scale), each of 15 app processes started on V8's defaults and loaded within about 20 s got it
// (scavenges of 4-6 ms instead of ~0.5, several times as many major collections, p99 9-20 ms instead
// of 4-7), and so did the stateless NestJS baseline in 4 of 7 starts; processes left idle for 30 s
// before their first request escaped it (one try, 5 of 5), so it is what an instance meets when a
// deploy puts it into service. No process started with this flag showed it. Without pretenuring a
// long-lived object is copied once or twice on its way to the old generation: nothing for a server
// whose long-lived state (caches, pools) is built once. Set here, before the application's modules
// run, it acts as `node --no-allocation-site-pretenuring` does (the same GC figures either way);
// NODE_OPTIONS does not accept it.
setFlagsFromString('--no-allocation-site-pretenuring');
