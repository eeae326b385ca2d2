// Jest globalSetup: builds dist/ once, before any worker starts, for the suites that run the built
// service (test/security-config, test/shutdown). One build per run, so those suites never see a
// stale dist/ nor one being rewritten under them. Runs package.json's own build script (incremental,
// dist/.tsbuildinfo.build: quick when current).
const { execSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = function buildOnce() {
  const root = join(__dirname, '..');
  execSync(require(join(root, 'package.json')).scripts.build, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
  });
};
