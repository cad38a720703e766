#!/bin/sh
# The local model service: starts `ollama serve`, and on first start pulls the model the
# services use (OLLAMA_MODEL, default the Ollama preset's qwen2.5-coder:7b). Models live in
# the ollama volume, so later starts skip the pull. Mounted read-only into the ollama/ollama
# image by docker-compose.yml.
set -eu
model="${OLLAMA_MODEL:-qwen2.5-coder:7b}"

ollama serve &
server=$!
trap 'kill -TERM "$server" 2>/dev/null; wait "$server"; exit 0' TERM INT

tries=0
until ollama list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "ollama: the server did not start within 60 s" >&2
    exit 1
  fi
  sleep 1
done

if ollama list | awk 'NR > 1 { print $1 }' | grep -qx -- "$model"; then
  echo "ollama: $model is present"
else
  echo "ollama: pulling $model (first start; a few GB, once)"
  ollama pull "$model" || echo "ollama: could not pull $model; the services will report the model as unreachable until it is pulled (ollama pull $model)" >&2
fi

wait "$server"
