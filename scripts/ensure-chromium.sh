#!/bin/sh
# Installs Debian's Chromium for the browser e2e tests when /usr/bin/chromium is missing.
# Idempotent and quiet: prints nothing when Chromium is already there. The tests drive it with
# playwright-core, so Playwright's own browser download (which needs the internet) is never used.
set -eu

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-chromium: need root (or sudo) to install chromium" >&2; exit 1; }
  SUDO="sudo -n"
fi

echo "ensure-chromium: installing Debian's chromium" >&2
LOG=$(mktemp)
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium; } >"$LOG" 2>&1; then
  cat "$LOG" >&2
  rm -f "$LOG"
  echo "ensure-chromium: apt-get install chromium failed" >&2
  exit 1
fi
rm -f "$LOG"
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: installed, but $CHROMIUM is still missing" >&2; exit 1; }
