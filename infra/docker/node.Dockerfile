# syntax=docker/dockerfile:1
# A Mirage actor node: owns shards through leases, hosts scan actors and runs collection modules. It serves /health,
# /ready and /metrics on MIRAGE_METRICS_PORT (default 9464) and on SIGTERM drains, then releases its shard leases.
# Build from the repository root: docker build -f infra/docker/node.Dockerfile -t mirage-node .

ARG NODE_IMAGE=node:20-slim

# Only the package manifests, so that the dependency layer is rebuilt when they change and not on every edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
# Fixes to dependencies, applied by the postinstall script (patch-package).
COPY patches ./patches
COPY apps ./apps
COPY packages ./packages
RUN find apps packages -type f ! -name package.json -delete && find apps packages -type d -empty -delete

# Production dependencies of the whole workspace. The processes run TypeScript through tsx, so tsx (a dev
# dependency of the repository) is promoted to a runtime dependency inside the image, at the locked version.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NODE_ENV=production
COPY --from=manifests /app ./
RUN npm pkg set "dependencies.tsx=$(node -p 'require("./package.json").devDependencies.tsx')" \
  && npm pkg delete devDependencies.tsx \
  && npm install --omit=dev --no-audit --no-fund \
  && npm cache clean --force
COPY tsconfig.json ./
COPY packages ./packages
COPY apps ./apps

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
  MIRAGE_METRICS_PORT=9464 \
  OTEL_SERVICE_NAME=mirage-node
# Files stay owned by root and read-only for the process; it writes only to /tmp (tsx's transform cache).
COPY --from=build /app /app
# The generated key of alert channels' secrets when MIRAGE_CHANNEL_KEY is not set (compose mounts a volume here).
RUN mkdir -p /var/lib/mirage && chown 1000:1000 /var/lib/mirage && chmod 700 /var/lib/mirage
USER 1000:1000
EXPOSE 9464
# SIGTERM starts the graceful shutdown (drain for MIRAGE_DRAIN_MS, then release the leases); give the container
# at least that long plus a margin before it is killed (compose stop_grace_period, k8s terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MIRAGE_METRICS_PORT || 9464) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8 settings as every Mirage process has them (`v8Flags` in apps/node/src/Launcher.ts).
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "apps/node/src/main.ts"]
