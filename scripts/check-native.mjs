// npm install's last step (postinstall): better-sqlite3 must load on the Node that ran the
// install. A node-gyp that always compiles against the system's Node headers (Debian's npm does)
// builds it for the wrong ABI when another Node (e.g. Node 24 from scripts/node24.sh) runs npm;
// then it is rebuilt here against that Node's own headers (<prefix>/include/node).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = dirname(dirname(new URL(import.meta.url).pathname));

/** In a child process: a failed dlopen must not linger in this one for the check after the rebuild. */
const loads = () =>
  spawnSync(process.execPath, ['-e', 'new (require("better-sqlite3"))(":memory:").close()'], { cwd: root }).status ===
  0;

if (!loads()) {
  const prefix = dirname(dirname(process.execPath));
  if (!existsSync(join(prefix, 'include/node/node.h'))) {
    console.error(`better-sqlite3 does not load on Node ${process.version} and ${prefix}/include/node is missing`);
    process.exit(1);
  }
  console.error(`better-sqlite3 was built for another Node: rebuilding it for ${process.version} (${prefix})`);
  const npm = process.env.npm_execpath;
  const rebuild = spawnSync(
    npm ? process.execPath : 'npm',
    [...(npm ? [npm] : []), 'rebuild', 'better-sqlite3', '--no-audit', '--no-fund'],
    {
      stdio: 'inherit',
      env: { ...process.env, npm_config_nodedir: prefix },
    },
  );
  if (rebuild.status !== 0 || !loads()) {
    console.error(`better-sqlite3 still does not load on Node ${process.version}`);
    process.exit(1);
  }
}
