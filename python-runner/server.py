"""python-runner: runs tool code in a sandbox behind a small HTTP API.

Start with `python3 python-runner/server.py`; configuration comes from RUNNER_* variables
(see README.md). Standard library only.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from api import RunnerServer
from config import Config, ConfigError, load_config
from execute import probe
from process import kill_running
from sandbox import (
    BUBBLEWRAP_HINT,
    Sandbox,
    SandboxUnavailable,
    build_sandbox,
    inspect_interpreter,
)

log = logging.getLogger("python-runner")


def prepare_workspace_root(config: Config) -> None:
    """Create RUNNER_WORKSPACE; when tools run as another uid, let it reach its workspaces."""
    root = config.workspace_root
    root.mkdir(parents=True, exist_ok=True)
    if config.tool_user is not None:
        root.chmod(root.stat().st_mode | 0o011)  # search only: workspaces stay unlisted


def start_sandbox(config: Config) -> Sandbox:
    """Build the configured sandbox and prove it can run a trivial tool in the workspace root."""
    interpreter = inspect_interpreter(config.python)
    sandbox = build_sandbox(config.sandbox, interpreter, config.tool_user)
    problem = probe(sandbox, config.limits, config.workspace_root)
    if problem is None:
        return sandbox
    if config.tool_user is not None:
        problem += (
            f" (tools run as uid {config.tool_user}: RUNNER_WORKSPACE and each directory"
            " above it must be searchable by that uid)"
        )
    if sandbox.name == "bubblewrap":
        problem += f"; {BUBBLEWRAP_HINT}"
    raise SandboxUnavailable(f"the {sandbox.name} sandbox does not work here: {problem}")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="python-runner: %(message)s")
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        log.error("cannot start: %s", error)
        return 2
    try:
        prepare_workspace_root(config)
        sandbox = start_sandbox(config)
    except (OSError, SandboxUnavailable) as error:
        log.error("cannot start: %s", error)
        return 1
    try:
        server = RunnerServer(config, sandbox)
    except OSError as error:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, error)
        return 1
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _begin_shutdown(server))
    host, port = server.server_address[:2]
    print(
        f"python-runner listening on http://{host}:{port} (sandbox {sandbox.name},"
        f" python {sandbox.interpreter.version}, workspace {config.workspace_root})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server.draining and not server.drain(config.shutdown_s):
            log.warning("executions still running after %d s; killing them", config.shutdown_s)
        server.server_close()
        kill_running()
    return 0


def _begin_shutdown(server: RunnerServer) -> None:
    """SIGTERM: take no new executions, let running ones answer (see main), then exit 0."""
    if server.draining:
        return
    server.draining = True
    log.info("shutting down: finishing the executions in progress")
    # shutdown() waits for serve_forever to return, which runs on this (the main) thread.
    threading.Thread(target=server.shutdown, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
