#!/bin/sh
# Entrypoint of the Redis-backed Node services: waits until REDIS_URL answers PING (at most
# 60 s, saying so every 5 s), then becomes the service (exec, so it gets the signals).
# In a deployment Redis may start later than the services, and podman-compose does not wait
# for healthchecks. After 60 s the service starts anyway, waits REDIS_WAIT_MS more itself,
# prints one clear line and exits, and the restart policy tries again.
set -eu
start=$(date +%s)
said=-5
until node /app/infra/docker/healthcheck.js redis 2>/dev/null; do
  waited=$(($(date +%s) - start))
  if [ "$waited" -ge 60 ]; then
    echo "wait-for-redis: Redis still not answering after ${waited} s; starting anyway" >&2
    break
  fi
  if [ $((waited - said)) -ge 5 ]; then
    echo "wait-for-redis: waiting for Redis (${waited} s)" >&2
    said=$waited
  fi
  sleep 1
done
exec "$@"
