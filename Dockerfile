# Yitong (一通) for production-like use; see docker-compose.yml.
#
# TypeScript runs natively on Node 24 (type stripping: bin/yitong.js imports src/cli/main.ts), so
# there is no compile step: the image holds the sources and their production dependencies only.
# Not in it: the `node` devDependency (a second Node binary; the base image provides Node 24),
# typescript, vitest, playwright-core, openid-client, the @types packages, tests and benchmarks.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: production dependencies only -----------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Only the package files, so this layer stays cached while only sources change. argon2 ships
# prebuilt binaries for linux x64 and arm64 (glibc), so no compiler is needed here; on another
# platform add `apt-get install -y python3 make g++` to this stage (it never reaches the image).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
WORKDIR /app

ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data

# Owned by root and read-only to the server's user: a compromised process cannot change its code.
# package.json is needed at runtime ("type": "module"); the lock file only in the deps stage.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY views ./views
COPY assets ./assets

# DATA_DIR is only used by the embedded database (DATABASE_URL unset); the only writable place.
RUN mkdir -p /app/data && chown node:node /app/data

# The unprivileged user of the official Node images (uid 1000).
USER node
EXPOSE 3000

# Ready = serving and the database reachable.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node directly (not npm start) so SIGTERM from `docker stop` reaches the server, which finishes
# in-flight requests, closes the pool and exits 0. Migrations are applied at start.
CMD ["node", "bin/yitong.js", "serve"]
