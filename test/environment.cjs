// The e2e suites' Jest environment: Node's, plus a check after each file that it closed every app
// it booted (test/utils/create-test-app.ts registers them). An app left running keeps its timers
// (the key poll, the sweep, the activity flush) in the worker, which runs the next files, and
// writes into the worker's MySQL database under its own clock: one file's leftovers then decide
// another's outcome. The leftovers are closed here, and the file fails.
const { TestEnvironment } = require('jest-environment-node');

class E2eEnvironment extends TestEnvironment {
  async teardown() {
    const open = this.global.__openTestApps;
    const left = open ? [...open] : [];
    await Promise.allSettled(left.map((t) => t.close()));
    await super.teardown();
    if (left.length > 0)
      throw new Error(`${left.length} test app(s) left running at the end of the file: close every app the file boots`);
  }
}

module.exports = E2eEnvironment;
