# Yitong (一通) for production-like use; see docker-compose.yml.
# TypeScript runs natively on Node 24 (type stripping), so the image holds the sources and their
# installed dependencies; there is no build step.
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first (cached while only sources change). NODE_ENV is set to production only
# afterwards: under NODE_ENV=production npm ci would leave out devDependencies.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY views ./views
COPY assets ./assets

# DATA_DIR is only used by the embedded database (DATABASE_URL unset); keep it writable anyway.
RUN mkdir -p /app/data && chown node:node /app/data

ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data

USER node
EXPOSE 3000

# Ready = serving and the database reachable.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node directly (not npm start) so SIGTERM from `docker stop` reaches the server, which finishes
# in-flight requests, closes the pool and exits 0. Migrations are applied at start.
CMD ["node", "bin/yitong.js", "serve"]
