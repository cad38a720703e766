# Hyperdesk Node services: one file, one target per service (each its own image).
#
#   podman build -f infra/docker/node.Dockerfile --target gateway -t hyperdesk-gateway .
#   targets: gateway, planner, tool-manager, app-generator, llm-sim   (context: the repo root)
#
# A runtime image holds its service's bundle (`npm run build` → services/<name>/dist/, with
# @hyperdesk/shared inlined) and the production dependencies of that service only
# (`npm ci --omit=dev -w services/<name>`), run with plain node: no TypeScript loader and no
# sources in the image. The gateway image also carries the built desktop (web/dist).

# ---- manifests: what npm needs to resolve the workspaces (cache key of every install) ----
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/gateway/package.json services/gateway/
COPY services/planner/package.json services/planner/
COPY services/tool-manager/package.json services/tool-manager/
COPY services/app-generator/package.json services/app-generator/
COPY services/llm-sim/package.json services/llm-sim/
COPY web/package.json web/
COPY tests/package.json tests/

# ---- full: every dependency (dev included), for the builds ----
FROM manifests AS full
RUN npm ci --ignore-scripts --no-audit --no-fund

# ---- bundles: each Node service as one ES module (scripts/build.ts, esbuild) ----
FROM full AS bundles
COPY tsconfig.base.json ./
COPY scripts/build.ts scripts/services.ts scripts/
COPY shared/ shared/
COPY services/ services/
RUN node --import tsx scripts/build.ts

# ---- web: the desktop, built once into web/dist ----
FROM full AS web
COPY tsconfig.base.json ./
COPY shared/ shared/
COPY web/ web/
RUN npm run build -w web

# ---- production dependencies, one tree per service ----
FROM manifests AS deps-gateway
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/gateway

FROM manifests AS deps-planner
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/planner

FROM manifests AS deps-tool-manager
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/tool-manager

FROM manifests AS deps-app-generator
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/app-generator

FROM manifests AS deps-llm-sim
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w services/llm-sim

# ---- runtime base: non-root user; code stays root-owned (read-only to the service) ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY infra/docker/healthcheck.js infra/docker/wait-for-redis.sh infra/docker/
USER node

# ---- gateway: HTTP + WebSocket, serves web/dist; the only published port ----
FROM runtime AS gateway
COPY --from=deps-gateway /app/ ./
COPY --from=bundles /app/services/gateway/dist/ services/gateway/dist/
COPY --from=web /app/web/dist/ web/dist/
ENV PORT=4000 \
    HOST=0.0.0.0 \
    WEB_DIST=/app/web/dist
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "infra/docker/healthcheck.js", "http://127.0.0.1:4000/health"]
ENTRYPOINT ["/bin/sh", "/app/infra/docker/wait-for-redis.sh"]
CMD ["node", "--enable-source-maps", "services/gateway/dist/server.js"]

# ---- planner: BullMQ worker (PLANNING_TOOLS, DIAGNOSING) ----
FROM runtime AS planner
COPY --from=deps-planner /app/ ./
COPY --from=bundles /app/services/planner/dist/ services/planner/dist/
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "infra/docker/healthcheck.js", "redis"]
ENTRYPOINT ["/bin/sh", "/app/infra/docker/wait-for-redis.sh"]
CMD ["node", "--enable-source-maps", "services/planner/dist/main.js"]

# ---- tool-manager: BullMQ worker (tool build / test / repair / execute) ----
FROM runtime AS tool-manager
COPY --from=deps-tool-manager /app/ ./
COPY --from=bundles /app/services/tool-manager/dist/ services/tool-manager/dist/
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "infra/docker/healthcheck.js", "redis"]
ENTRYPOINT ["/bin/sh", "/app/infra/docker/wait-for-redis.sh"]
CMD ["node", "--enable-source-maps", "services/tool-manager/dist/main.js"]

# ---- browser: Debian's Chromium (and tini) for the app-generator, before any project file,
# so that changing the project never re-installs the browser ----
FROM node:20-bookworm-slim AS browser
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation tini \
 && rm -rf /var/lib/apt/lists/*

# ---- app-generator: BullMQ worker with Debian's Chromium for the app checks ----
FROM browser AS app-generator
ENV NODE_ENV=production
WORKDIR /app
COPY infra/docker/healthcheck.js infra/docker/wait-for-redis.sh infra/docker/
USER node
COPY --from=deps-app-generator /app/ ./
COPY --from=bundles /app/services/app-generator/dist/ services/app-generator/dist/
ENV CHROMIUM_PATH=/usr/bin/chromium
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "infra/docker/healthcheck.js", "redis"]
# tini as PID 1 reaps the processes Chromium leaves behind.
ENTRYPOINT ["/usr/bin/tini", "--", "/bin/sh", "/app/infra/docker/wait-for-redis.sh"]
CMD ["node", "--enable-source-maps", "services/app-generator/dist/main.js"]

# ---- llm-sim: the OpenAI-compatible model simulator (docker-compose.sim.yml, tests) ----
FROM runtime AS llm-sim
COPY --from=deps-llm-sim /app/ ./
COPY --from=bundles /app/services/llm-sim/dist/ services/llm-sim/dist/
COPY services/llm-sim/scenarios/ services/llm-sim/scenarios/
COPY services/llm-sim/samples/ services/llm-sim/samples/
ENV LLM_SIM_HOST=0.0.0.0 \
    LLM_SIM_PORT=4010
EXPOSE 4010
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "infra/docker/healthcheck.js", "http://127.0.0.1:4010/health"]
CMD ["node", "--enable-source-maps", "services/llm-sim/dist/main.js"]
