#!/usr/bin/env bash
# Compose end-to-end test (npm run test:compose): builds the images, starts the deployment with
# the simulated model (docker-compose.yml + docker-compose.sim.yml) under a unique project name
# and a free host port, two app-generator replicas, then drives it through the published
# gateway port (tests/compose/e2e.ts) and always tears it down (containers, volumes, networks).
#
# Needs podman + podman-compose. Where they (or the base images) are missing and
# ../shared/containers/setup-podman.sh exists beside the repo, it is run first (idempotent).
#
# Env: HYPERDESK_E2E_KEEP=1 leaves the deployment running (prints how to remove it);
#      HYPERDESK_PORT picks the host port (default: a free one).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
t0=$(date +%s)
log() { printf 'compose-e2e: %s\n' "$*"; }

setup=$root/../shared/containers/setup-podman.sh
need_setup=0
command -v podman >/dev/null 2>&1 && command -v podman-compose >/dev/null 2>&1 || need_setup=1
if [ "$need_setup" = 0 ]; then
  for image in node:20-bookworm-slim debian:bookworm-slim redis:7; do
    podman image exists "docker.io/library/$image" || need_setup=1
  done
fi
if [ "$need_setup" = 1 ]; then
  if [ -f "$setup" ]; then
    log "setting up podman ($setup)"
    bash "$setup"
  else
    log "podman/podman-compose or base images missing and no $setup; install podman and podman-compose"
    exit 1
  fi
fi

if [ -f "$root/.env" ]; then
  # podman-compose 1.0 lets .env override the environment this test sets (admin, port, model).
  log "a .env exists in $root; podman-compose would let it override this test's settings. Move it aside and run again."
  exit 1
fi

# The deployment under test must not pick up this machine's own settings (CI exports
# REDIS_URL for the host's Redis, a developer may have LLM_* set): clear every variable the
# compose files interpolate; the ones this test needs are set below.
for var in $(grep -ohE '\$\{[A-Z_][A-Z0-9_]*' docker-compose.yml docker-compose.sim.yml | sed 's/^\${//' | sort -u); do
  unset "$var"
done

project="hde2e$(date +%s)$$"
export HYPERDESK_TAG=e2e
export HYPERDESK_PORT="${HYPERDESK_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
# No admin configured, as with `docker compose up` and no .env: e2e.ts logs in as the admin the
# gateway generated and printed once in its log.
export APP_GENERATOR_REPLICAS=2
# One app at a time per replica, so six concurrent runs must spread over both.
export APP_CONCURRENCY=1
export MAX_ACTIVE_RUNS=8
# Every model call logged with its stage: how the test sees which replica generated apps.
export LOG_LEVEL=debug
export LLM_SIM_TTFT_MS=50
# Keep HEALTHCHECK in the images (podman's default OCI format drops it).
export BUILDAH_FORMAT=docker

artifacts=$root/test-artifacts/compose/$project
mkdir -p "$artifacts"
compose=(podman-compose -f docker-compose.yml -f docker-compose.sim.yml -p "$project")

cleanup() {
  local code=$?
  set +e
  for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
    podman logs "$c" >"$artifacts/$c.log" 2>&1
  done
  if [ "${HYPERDESK_E2E_KEEP:-0}" = 1 ]; then
    log "left running: project $project on http://127.0.0.1:$HYPERDESK_PORT; remove with:"
    log "  ${compose[*]} down -v && podman network rm ${project}_default ${project}_runner"
  else
    "${compose[@]}" down -v >>"$artifacts/compose.log" 2>&1
    podman network rm -f "${project}_default" "${project}_runner" >/dev/null 2>&1
    # podman-compose 1.0 down -v leaves named volumes of replicas=0 services.
    for v in $(podman volume ls -q --filter "label=io.podman.compose.project=$project"); do podman volume rm -f "$v" >/dev/null; done
    left=$(podman ps -a -q --filter "label=io.podman.compose.project=$project" | wc -l)
    log "torn down (containers left: $left); logs in ${artifacts#"$root"/}"
  fi
  log "total $(($(date +%s) - t0)) s, exit $code"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building images (tag $HYPERDESK_TAG)"
tb=$(date +%s)
for target in gateway planner tool-manager app-generator llm-sim; do
  ts=$(date +%s)
  podman build --format docker -f infra/docker/node.Dockerfile --target "$target" \
    -t "hyperdesk/$target:$HYPERDESK_TAG" . >"$artifacts/build-$target.log" 2>&1 \
    || { log "build of $target failed:"; tail -n 30 "$artifacts/build-$target.log"; exit 1; }
  log "  $target built in $(($(date +%s) - ts)) s"
done
ts=$(date +%s)
podman build --format docker -f infra/docker/python-runner.Dockerfile \
  -t "hyperdesk/python-runner:$HYPERDESK_TAG" . >"$artifacts/build-python-runner.log" 2>&1 \
  || { log "build of python-runner failed:"; tail -n 30 "$artifacts/build-python-runner.log"; exit 1; }
log "  python-runner built in $(($(date +%s) - ts)) s"
log "images built in $(($(date +%s) - tb)) s"
podman images --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep "hyperdesk/.*:$HYPERDESK_TAG" || true

log "starting project $project on port $HYPERDESK_PORT (app-generator x$APP_GENERATOR_REPLICAS, simulated model)"
tu=$(date +%s)
# podman-compose prints the merged configuration (secrets included): keep it in the artifacts.
"${compose[@]}" up -d --no-build >"$artifacts/compose.log" 2>&1 \
  || { log "podman-compose up failed:"; tail -n 30 "$artifacts/compose.log"; exit 1; }
podman ps --filter "label=io.podman.compose.project=$project" --format '  {{.Names}} {{.Status}}'
log "containers started in $(($(date +%s) - tu)) s"

HYPERDESK_URL="http://127.0.0.1:$HYPERDESK_PORT" COMPOSE_PROJECT=$project \
  node --import tsx tests/compose/e2e.ts
