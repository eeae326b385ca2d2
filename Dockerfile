# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, ship only dist/ and production node_modules.

FROM node:20-bookworm-slim AS build
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
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The devices page (/account/devices) is served from ./public relative to the working directory.
COPY --chown=node:node public ./public
COPY --chown=node:node --chmod=0755 docker/entrypoint.sh ./entrypoint.sh
# SQLite default (DATABASE_URL=sqlite:./data/...) needs a writable directory owned by the app user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Readiness, database included: an instance that cannot reach its database reports unhealthy.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["./entrypoint.sh"]
