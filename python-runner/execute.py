"""One tool execution end to end: a sandbox with the code in it, run under limits, judged."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from limits import Limits
from outcome import Outcome, interpret
from prestart import (
    Janitor,
    PrestartPool,
    RunKey,
    ToolProcess,
    hand_over,
    make_tool_pipe,
    workspace_id,
    write_tool_file,
)
from process import spawn, supervise
from request import ExecuteRequest
from sandbox import Sandbox, ToolRun


class Executor:
    def __init__(
        self, sandbox: Sandbox, prestart_pool: int = 0, max_idle: int = 0, idle_s: float = 60
    ) -> None:
        """Pre-starting needs bubblewrap: without it, other tools could reach the waiting pipe."""
        self.sandbox = sandbox
        self.janitor = Janitor()
        self.pool = None
        if prestart_pool > 0 and max_idle > 0 and sandbox.name == "bubblewrap":
            self.pool = PrestartPool(self._start_waiting, prestart_pool, max_idle, idle_s)

    def execute(
        self, request: ExecuteRequest, workspace: Path, limits: Limits, files_frozen: bool = False
    ) -> Outcome:
        """Run `request.code` as /tool/tool.py with `workspace` as its working directory."""
        argv = tuple(request.argv) if request.argv is not None else None
        stdin = b"" if argv is not None else json.dumps(request.args).encode()
        key = RunKey(workspace, limits, request.network, argv, files_frozen)
        tool = self._take_waiting(key, request.code) or self._start(key, request.code)
        if self.pool is not None:
            self.pool.refill(key)  # for the next call with the same key
        try:
            finished = supervise(tool.proc, stdin, limits.wall_ms, limits.output_bytes)
        finally:
            tool.close(self.janitor)
        return interpret(finished, limits, self.sandbox.signal_of(finished.returncode))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.janitor.close()

    def _take_waiting(self, key: RunKey, code: str) -> ToolProcess | None:
        tool = self.pool.take(key) if self.pool is not None else None
        if tool is None:
            return None
        try:
            handed_over = hand_over(tool, code, self.sandbox.user)
        except BaseException:
            tool.close(self.janitor)
            raise
        if handed_over:
            return tool
        tool.close(self.janitor)
        return None

    def _start(self, key: RunKey, code: str) -> ToolProcess:
        """A cold start: tool.py is a regular file from the beginning."""
        return self._launch(key, lambda path: write_tool_file(path, code, self.sandbox.user))

    def _start_waiting(self, key: RunKey) -> ToolProcess:
        return self._launch(key, lambda path: make_tool_pipe(path, self.sandbox.user))

    def _launch(self, key: RunKey, place_tool: Callable[[Path], None]) -> ToolProcess:
        tool_dir = tempfile.TemporaryDirectory(prefix="hyperdesk-tool-")
        try:
            path = Path(tool_dir.name)
            place_tool(path / "tool.py")
            if self.sandbox.user is not None:
                os.chmod(path, 0o711)
                os.chown(key.workspace, self.sandbox.user, self.sandbox.user)
            argv = list(key.argv) if key.argv is not None else None
            run = ToolRun(path, key.workspace, key.limits, key.network, argv, key.files_frozen)
            proc = spawn(self.sandbox.launch(run))
        except BaseException:
            tool_dir.cleanup()
            raise
        return ToolProcess(proc, tool_dir, workspace_id(key.workspace))


def probe(sandbox: Sandbox, limits: Limits, workspace_root: Path) -> str | None:
    """Run a trivial tool once in a scratch workspace; None if it worked, else what went wrong.

    The scratch name starts with '.', which requests cannot use, so it never meets a real one.
    """
    request = ExecuteRequest("print('true')", {}, None, {}, ".probe", False)
    workspace = workspace_root / ".probe"
    workspace.mkdir(exist_ok=True)
    executor = Executor(sandbox)
    try:
        outcome = executor.execute(request, workspace, limits)
    finally:
        executor.close()
        shutil.rmtree(workspace, ignore_errors=True)
    if outcome.ok and outcome.result is True:
        return None
    return outcome.error or f"unexpected result {outcome.result!r}"

