"""The HTTP API: POST /execute, GET /health and GET /metrics on a threading HTTP server."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from config import Config
from execute import Executor
from limits import lowered
from metrics import CONTENT_TYPE, RunnerMetrics
from outcome import Outcome
from quota import WorkspaceQuota
from request import MAX_BODY_BYTES, BadRequest, ExecuteRequest, parse_execute_request
from sandbox import Sandbox

SKIP_BODY_BYTES = 16 * 1024 * 1024
"""An oversized body is read (and dropped) up to this size before the 400 is sent."""

log = logging.getLogger("python-runner")


class RunnerServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog (5) makes the kernel drop connections under a burst of callers,
    # which then wait seconds for the client to retry.
    request_queue_size = 256

    def __init__(self, config: Config, sandbox: Sandbox) -> None:
        self.config = config
        self.sandbox = sandbox
        self.executor = Executor(
            sandbox, config.prestart_pool, config.prestart_max_idle, config.prestart_idle_s
        )
        self.slots = threading.BoundedSemaphore(config.concurrency)
        self.metrics = RunnerMetrics()
        self.quota = WorkspaceQuota(config.workspace_mb)
        self.draining = False
        self._executing = 0
        self._idle = threading.Condition()
        super().__init__((config.host, config.port), RunnerHandler)  # closes itself on failure

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "sandbox": self.sandbox.name,
            "python": self.sandbox.interpreter.version,
            "limits": self.config.limits.to_json(),
            "workspaceMb": self.config.workspace_mb,
        }

    @contextmanager
    def executing(self) -> Iterator[None]:
        """Marks an execution in progress, from the request to its answer leaving."""
        with self._idle:
            self._executing += 1
        try:
            yield
        finally:
            with self._idle:
                self._executing -= 1
                self._idle.notify_all()

    def drain(self, timeout_s: float) -> bool:
        """Waits for the executions in progress to answer; False if some still run."""
        with self._idle:
            return self._idle.wait_for(lambda: self._executing == 0, timeout_s)

    def execute(self, request: ExecuteRequest) -> Outcome:
        workspace = self.config.workspace_root / request.workspace
        workspace.mkdir(exist_ok=True)
        limits = lowered(self.config.limits, request.limits)
        over_quota = self.quota.over(workspace)
        with self.slots:
            outcome = self.executor.execute(request, workspace, limits, over_quota is not None)
        self.quota.measure_soon(workspace)
        self.metrics.record(outcome)
        if over_quota is not None:
            error = outcome.error if outcome.ok else f"{outcome.error} ({over_quota})"
            outcome = replace(outcome, workspace_full=True, error=error)
        return outcome

    def server_close(self) -> None:
        self.executor.close()
        super().server_close()

    def handle_error(self, request: object, client_address: Any) -> None:
        """A connection failed outside a handler's own error handling (e.g. client gone)."""
        log.warning("connection from %s failed: %r", client_address[0], sys.exc_info()[1])


class RunnerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive replies would otherwise wait for a delayed ACK
    wbufsize = 64 * 1024  # headers and body leave in one send (flushed after each request)
    timeout = 60  # seconds an idle or slow connection may hold a thread
    server: RunnerServer

    def do_GET(self) -> None:
        if self._route() == "/health":
            self._send(200, self.server.health())
        elif self._route() == "/metrics":
            self._send_bytes(200, self.server.metrics.render(), CONTENT_TYPE)
        else:
            self._send_not_found()

    def do_POST(self) -> None:
        if self._route() != "/execute":
            self._send_not_found()
            return
        try:
            request = parse_execute_request(self._read_body())
        except BadRequest as error:
            self.server.metrics.record_refused()
            self._send(400, {"error": str(error)})
            return
        if self.server.draining:
            self.close_connection = True
            self._send(503, {"error": "python-runner is shutting down; try again"})
            return
        with self.server.executing():
            try:
                outcome = self.server.execute(request)
            except Exception:
                log.exception("execute failed")
                self._send(500, {"error": "internal error in python-runner; see its log"})
                return
            log.info(
                "execute workspace=%s ok=%s killedBy=%s %.1fms",
                request.workspace, outcome.ok, outcome.killed_by, outcome.duration_ms,
            )  # fmt: skip
            if self.server.draining:
                self.close_connection = True
            self._send_bytes(200, outcome.to_json_bytes())
            self.wfile.flush()  # the answer has left before a shutdown may close the process

    def _route(self) -> str:
        return self.path.split("?", 1)[0]

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise BadRequest("chunked bodies are not accepted; send a Content-Length header")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if length < 0:
            raise BadRequest("a Content-Length header with the body size is required")
        if length > MAX_BODY_BYTES:
            self._skip_body(length)
            raise BadRequest(f"body is {length} bytes; the limit is {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _skip_body(self, length: int) -> None:
        """Read a refused body so the client sees the 400 instead of a reset; huge ones are cut."""
        self.close_connection = True
        remaining = min(length, SKIP_BODY_BYTES)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 64 * 1024))
            if not chunk:
                return
            remaining -= len(chunk)

    def _send_not_found(self) -> None:
        route = f"{self.command} {self._route()}"
        routes = "use GET /health, GET /metrics or POST /execute"
        self._send(404, {"error": f"no route {route}; {routes}"})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(body).encode())

    def _send_bytes(
        self, status: int, data: bytes, content_type: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_expect_100(self) -> bool:
        """The interim answer must leave now, not with the final one (writes are buffered)."""
        ok = super().handle_expect_100()
        self.wfile.flush()
        return ok

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server finds itself (bad request line, other methods), as JSON too."""
        self.close_connection = True
        self._send(code, {"error": message or HTTPStatus(code).phrase})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if code != 200:
            log.info("%s %s -> %s", self.command, self.path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.warning(format, *args)
