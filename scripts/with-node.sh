#!/usr/bin/env bash
# Runs one command on another Node.js (NODEDIR/bin first on PATH), e.g. Node 24 from
# scripts/node24.sh:
#   scripts/with-node.sh "$(scripts/node24.sh)" npm test
#   scripts/with-node.sh "$(scripts/node24.sh)" npm run bench
# better-sqlite3 is the one dependency compiled against a Node ABI (the others use N-API), and
# npm install built it for the default `node`. For the command's duration its addon is swapped
# for one built for NODEDIR (compiled once from source with npm_config_nodedir, about two
# minutes, then kept in the cache beside Node), and put back afterwards, so node_modules keeps
# working for the default `node`. Do not run two of these at once in the same clone.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: scripts/with-node.sh NODEDIR COMMAND [ARGS...]" >&2; exit 2; }
NODEDIR="$(cd "$1" && pwd)"
shift
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/node_modules/better-sqlite3"
ADDON="$PKG/build/Release/better_sqlite3.node"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/device-sessions/addons"
export PATH="$NODEDIR/bin:$PATH"

[ -f "$ADDON" ] || { echo "with-node: $ADDON is missing: run npm install first" >&2; exit 1; }
abi="$(node -p process.versions.modules)"
version="$(node -p "require('$PKG/package.json').version")"
cached="$CACHE/better-sqlite3-$version-abi$abi-$(node -p 'process.platform + "-" + process.arch').node"

loads() { (cd "$ROOT" && node -e 'new (require("better-sqlite3"))(":memory:").close()') 2>/dev/null; }

backup="$(mktemp)"
cp "$ADDON" "$backup"
restore() {
  cp --remove-destination "$backup" "$ADDON"
  rm -f "$backup"
}
trap restore EXIT

if [ -f "$cached" ]; then
  cp --remove-destination "$cached" "$ADDON"
elif ! loads; then
  echo "with-node: building better-sqlite3 $version for Node $(node -v) (once; cached in $CACHE)" >&2
  (cd "$ROOT" && npm_config_nodedir="$NODEDIR" npm rebuild better-sqlite3 --no-audit --no-fund >&2)
fi
loads || { echo "with-node: better-sqlite3 does not load on Node $(node -v)" >&2; exit 1; }
if [ ! -f "$cached" ]; then
  mkdir -p "$CACHE"
  cp "$ADDON" "$cached.$$" && mv "$cached.$$" "$cached"
fi

echo "with-node: $(node -v) ($NODEDIR)" >&2
# Read by the bench reports, so their command row says how they were run.
export WITH_NODE="$NODEDIR"
# Not exec: the trap puts the default Node's addon back when the command ends.
"$@"
