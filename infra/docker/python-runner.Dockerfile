# python-runner: executes tool code for the gateway and the tool-manager.
#
#   podman build -f infra/docker/python-runner.Dockerfile -t hyperdesk-python-runner .
#
# Base: debian:bookworm-slim with Debian's python3 (3.11), not python:3.11-slim. Tools run
# under /usr/bin/python3 and the useful libraries come from Debian's python3-* packages
# (PyPI is not needed, nor reachable everywhere), which install for exactly that
# interpreter; the python image would add a second Python in /usr/local that cannot see them.
#
# The runner uses the rlimits sandbox here (RUNNER_SANDBOX=rlimits): bubblewrap cannot create
# namespaces inside an unprivileged container, and the container is the sandbox: compose runs
# it read-only, without capabilities, on an internal network with no route out (see
# docker-compose.yml and infra/DEPLOY.md). It runs as an unprivileged user; tools run as that
# same user (the runner only switches tools to another uid when it is root, which needs
# CAP_SETUID and is exactly what this container does not have).

# ---- system: the interpreter tools run under and the libraries they may import ----
FROM debian:bookworm-slim AS system
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-psutil python3-requests python3-pil python3-numpy util-linux tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 runner \
 && useradd --system --uid 10001 --gid runner --home-dir /workspace --no-create-home --shell /usr/sbin/nologin runner \
 && install -d -o runner -g runner -m 0750 /workspace

# ---- python-runner: the stdlib-only server, byte-compiled (the root filesystem is read-only) ----
FROM system AS python-runner
WORKDIR /app
COPY python-runner/ ./
RUN python3 -m compileall -q /app
ENV PYTHONDONTWRITEBYTECODE=1 \
    RUNNER_HOST=0.0.0.0 \
    RUNNER_PORT=4020 \
    RUNNER_WORKSPACE=/workspace \
    RUNNER_SANDBOX=rlimits \
    RUNNER_PYTHON=/usr/bin/python3
USER runner
EXPOSE 4020
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4020/health', timeout=4)"]
# tini as PID 1 reaps tool processes that outlive their call (rlimits mode has no PID namespace).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python3", "server.py"]
