// V8 settings for a long-running request server. Imported first by main.ts (and by the bench's app
// server), so they hold before Nest, TypeORM and the rest load.
import { setFlagsFromString } from 'node:v8';

// Allocation-site pretenuring off. V8 watches where objects are created and, when nearly all of a
// site's objects outlive a young-generation collection, creates that site's later objects directly in
// the old generation, for good. Nest, TypeORM and Fastify build their long-lived tables at startup
// through code that later runs on every request; when such a site is tenured (on some starts, when
// load comes soon after startup, as it does after a deploy), each request's short-lived objects land
// in the old generation: scavenges about ten times as slow, many more major collections, p99 doubled
// (README › Scale, `npm run bench:pretenuring`). Without pretenuring a long-lived object is copied once
// or twice on its way to the old generation: nothing for a server whose long-lived state is built once.
// Set here, before the application's modules run, it acts as `node --no-allocation-site-pretenuring`
// does; NODE_OPTIONS does not accept it.
setFlagsFromString('--no-allocation-site-pretenuring');
