// Opening cost, memory and per-lookup time of the GeoIP database: `npm run build && node bench/geoip-lookup.mjs`
// (GEOIP_DB_PATH=... to measure another file). 100k synthetic public-ish IPv4 addresses.
import { GeoLocator } from '../dist/src/sessions/geo-locator.js';
const before = process.memoryUsage();
let t = process.hrtime.bigint();
const geo = await GeoLocator.open(process.env.GEOIP_DB_PATH);
const openMs = Number(process.hrtime.bigint() - t) / 1e6;
const after = process.memoryUsage();
const ips = Array.from(
  { length: 100000 },
  (_, i) => `${((i * 7919) % 223) + 1}.${(i * 31) % 256}.${(i * 17) % 256}.${i % 256}`,
);
for (const ip of ips.slice(0, 5000)) geo.lookup(ip);
t = process.hrtime.bigint();
let found = 0;
for (const ip of ips) if (geo.lookup(ip)) found++;
const ns = Number(process.hrtime.bigint() - t) / ips.length;
console.log(
  JSON.stringify({
    openMs: Math.round(openMs),
    rssMB: Math.round((after.rss - before.rss) / 1e6),
    externalMB: Math.round((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / 1e6),
    lookupUs: +(ns / 1000).toFixed(2),
    found,
  }),
);
