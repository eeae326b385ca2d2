// Jest globalSetup: builds dist/ once, before any worker starts, for the suites that run the built
// service (test/security-config, test/shutdown). One build per run, so those suites never see a
// stale dist/ nor one being rewritten under them. Incremental (dist/.tsbuildinfo): quick when current.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = function buildOnce() {
  const root = join(__dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
};
