#!/bin/sh
# Runs pending migrations, then replaces itself with the service: with exec, node gets the
# container's SIGTERM directly and drains (see README, Operations).
set -eu

if [ "${MIGRATIONS_RUN:-true}" = "true" ]; then
  echo "entrypoint: running pending migrations"
  node node_modules/typeorm/cli.js migration:run -d dist/ormconfig.js
fi

# Done above (or deliberately skipped): the service must not run them a second time.
export MIGRATIONS_RUN=false
exec node dist/src/main.js "$@"
