#!/bin/sh
# Turns the build stage's node_modules into the runtime image's: production dependencies only.
# Run by the Dockerfile and by test/docker-image.e2e-spec.ts, so the test prunes as the image does.
set -eu

npm prune --omit=dev --no-audit --no-fund
# typescript survives the prune as an optional peer of @nestjs/swagger, needed only by its
# compiler plugin (which this project does not use); nothing loads it at run time.
rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver
