# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, ship only dist/ and production node_modules.
# test/docker-image.e2e-spec.ts repeats the runtime stage's steps without a Docker engine (it reads
# this file's COPY, ENV, ENTRYPOINT and HEALTHCHECK lines): keep them plain.

# Pinned: Node 24 LTS, the version .ci/run also tests (scripts/node24.sh).
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary; the toolchain is the fallback when none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Versions come from the lock; `npm install` rather than `npm ci` because npm 11 lockfiles record
# only the optional native packages of the platform that wrote them (npm/cli#4828).
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
COPY docker/prune.sh ./docker/prune.sh
RUN npm run build && sh docker/prune.sh

FROM node:24.22.3-bookworm-slim
# tini as PID 1: forwards signals to the service and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# HOST: inside a container the service must listen on every interface to be reached at all.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The devices page (/account/devices) is served from ./public relative to the working directory.
COPY --chown=node:node public ./public
COPY --chown=node:node --chmod=0755 docker/entrypoint.sh ./entrypoint.sh
# SQLite default (DATABASE_URL=sqlite:./data/...) needs a writable directory owned by the app user;
# a volume, so the database outlives the container.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# Readiness, database included: an instance that cannot reach its database reports unhealthy.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "./entrypoint.sh"]
