// Writes openapi.json from the built application (`npm run openapi` builds first).
// test/openapi.e2e-spec.ts fails when the committed file differs from what the app generates.
import { writeFileSync } from 'node:fs';
import { generateOpenApiJson } from '../dist/src/openapi.js';

const json = await generateOpenApiJson();
writeFileSync(new URL('../openapi.json', import.meta.url), json);
console.log(`openapi.json written (${Buffer.byteLength(json)} bytes)`);
