import { existsSync, readdirSync, readFileSync } from 'node:fs';

// Nest 12 and some of its dependencies ship ESM only, and CommonJS packages (e.g.
// @nestjs/throttler, @fastify/static) require() them; Jest on Node 20 cannot require ESM.
// So under Jest our TypeScript and every ESM-only package are compiled to CommonJS by SWC.
// The production build stays native ESM (tsc, module nodenext).
function esmPackages() {
  const names = [];
  const visit = (dir, prefix = '') => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (!prefix && entry.name.startsWith('@')) {
        visit(`${dir}/${entry.name}`, `${entry.name}/`);
        continue;
      }
      const manifest = `${dir}/${entry.name}/package.json`;
      if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).type === 'module')
        names.push(prefix + entry.name);
    }
  };
  visit('node_modules');
  return names.map((n) => n.replace(/[.+]/g, '\\$&'));
}

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      keepClassNames: true,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'commonjs' },
  },
];

// CommonJS packages that import() an ESM-only one, which Jest's CommonJS runtime cannot run:
// compiled too, SWC turns that import() into a require() of the compiled package.
const dynamicImporters = ['@fastify/cookie'];

const common = {
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${[...esmPackages(), ...dynamicImporters].join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  // The suites wait on databases more than on the CPU: two workers keep both cores busy.
  maxWorkers: 2,
  // A hook that boots an app and migrates a MariaDB database can take several seconds on a busy
  // 2-core machine; Jest's 5 s default turned load into failures. Not a speed check. (Top level:
  // Jest reads it from the global config, not from a project's.)
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    // globalSetup builds dist/ once for the e2e suites that start the built service.
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.cjs',
      // Fails a file that leaves an app running (its timers would write into the next files' database).
      testEnvironment: '<rootDir>/test/environment.cjs',
    },
  ],
};
