#!/bin/sh
# Applies pending migrations, then replaces itself with the service: with exec, node gets the
# container's SIGTERM (through tini) directly and drains (see docs/operations.md).
# MIGRATIONS_RUN is read by the service's own configuration code (dist/src/migrate.js), so every
# spelling the service accepts (true/1/yes/on, false/0/no/off) means the same here, and a value
# it refuses stops the container with one line.
set -eu

node dist/src/migrate.js --if-enabled

# Done above (or deliberately skipped): the service must not run them a second time.
export MIGRATIONS_RUN=false
exec node dist/src/main.js "$@"
