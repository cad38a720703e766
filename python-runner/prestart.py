"""Sandboxes started ahead of the next call, their interpreter waiting for code on a FIFO.

Interpreter start-up is most of a short tool's run time. A pre-started sandbox is launched
exactly as a cold one (`python3 -I -B /tool/tool.py`), except that tool.py is a named pipe:
Python finishes starting and then blocks opening it. A call hands over its code by replacing
the pipe's path with a regular file holding the code (tracebacks re-read source lines from it)
and then writing the code into the pipe. Used with bubblewrap only, where no other tool can
see the pipe.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from limits import Limits
from process import discard, is_running

IDLE_SECONDS = 60.0
HAND_OVER_PATIENCE_SECONDS = 5.0

log = logging.getLogger("python-runner")


@dataclass(frozen=True)
class RunKey:
    """Everything fixed when a sandbox starts; a pre-started one serves only the same key."""

    workspace: Path
    limits: Limits
    network: bool
    argv: tuple[str, ...] | None
    files_frozen: bool = False


@dataclass
class ToolProcess:
    proc: subprocess.Popen[bytes]
    tool_dir: tempfile.TemporaryDirectory[str]
    workspace_id: tuple[int, int]
    expires: float = field(default=0.0)
    """For a waiting sandbox: when it is dropped unless a call took it."""
    pipe: int | None = None
    """The write end of tool.py once the interpreter has opened it, i.e. finished starting."""

    @property
    def tool_path(self) -> Path:
        return Path(self.tool_dir.name) / "tool.py"

    def close(self, janitor: Janitor | None = None) -> None:
        """Kill the process if it is still running and remove its private directory."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        discard(self.proc)
        if janitor is None:
            self.tool_dir.cleanup()
        else:
            janitor.remove(self.tool_dir)


class Janitor:
    """Removes used tool directories on a thread of its own, after the answer has gone out.

    On ext4 removing even a one-file directory takes 1 to 4 ms (the rmdir is journalled); that
    is time a caller would otherwise wait for.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tempfile.TemporaryDirectory[str] | None]
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="janitor", daemon=True)
        self._thread.start()

    def remove(self, tool_dir: tempfile.TemporaryDirectory[str]) -> None:
        self._queue.put(tool_dir)

    def close(self) -> None:
        """Remove what is still queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout=HAND_OVER_PATIENCE_SECONDS)

    def _run(self) -> None:
        while (tool_dir := self._queue.get()) is not None:
            try:
                tool_dir.cleanup()
            except OSError:
                log.exception("removing %s failed", tool_dir.name)


def workspace_id(workspace: Path) -> tuple[int, int]:
    """Identity of the directory, so a workspace removed and re-created is noticed."""
    stat = workspace.stat()
    return stat.st_dev, stat.st_ino


def hand_over(tool: ToolProcess, code: str, user: int | None) -> bool:
    """Give a waiting interpreter its code; False if it is gone and a cold start is needed."""
    pipe, tool.pipe = tool.pipe, None
    if pipe is None:
        pipe = _open_pipe_for_writing(tool)
    if pipe is None:
        return False
    try:
        source = tool.tool_path.with_name("tool.py.source")
        write_tool_file(source, code, user)
        os.replace(source, tool.tool_path)
        os.set_blocking(pipe, True)
        data = memoryview(code.encode("utf-8"))
        while data:
            data = data[os.write(pipe, data) :]
    except BrokenPipeError:
        return False
    finally:
        os.close(pipe)
    return True


def write_tool_file(path: Path, code: str, user: int | None) -> None:
    """tool.py as a regular file, readable by the uid the tool runs as."""
    path.write_text(code, encoding="utf-8")
    if user is not None:
        os.chown(path, user, user)


def make_tool_pipe(path: Path, user: int | None) -> None:
    os.mkfifo(path, 0o600)
    if user is not None:
        os.chown(path, user, user)


def _open_pipe_for_writing(tool: ToolProcess) -> int | None:
    """Open once the interpreter is blocked reading it (it may still be starting up)."""
    give_up = time.monotonic() + HAND_OVER_PATIENCE_SECONDS
    while is_running(tool.proc) and time.monotonic() < give_up:
        if (pipe := try_open_pipe(tool)) is not None:
            return pipe
        time.sleep(0.001)
    return None


def try_open_pipe(tool: ToolProcess) -> int | None:
    """The pipe's write end if the interpreter has opened it for reading, else None.

    Once opened, the interpreter's open() returns and its read() waits for the code; closing
    the write end without writing would hand it an empty script, so the caller must hand over
    or close the tool.
    """
    try:
        return os.open(tool.tool_path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno != errno.ENXIO:  # ENXIO: no reader yet
            raise
        return None


class PrestartPool:
    """Up to `per_key` waiting sandboxes per RunKey, at most `max_idle` over all keys.

    A call takes the oldest waiting sandbox of its key (it has had the longest to start) and
    asks for a refill; one long-lived thread starts sandboxes, closes evicted and expired ones:
    with --die-with-parent a sandbox is tied to the thread that started it, and a short-lived
    one could take it down when it ends. Waiting sandboxes hold no concurrency slot, and each
    has its own user namespace, so they count against no limit a tool can see.
    """

    def __init__(
        self,
        start: Callable[[RunKey], ToolProcess],
        per_key: int,
        max_idle: int,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._start = start
        self._per_key = per_key
        self._max_idle = max_idle
        self._idle_seconds = idle_seconds
        self._waiting: dict[RunKey, deque[ToolProcess]] = {}
        """Started sandboxes by key, keys in order of last use (least recent first)."""
        self._queued: dict[RunKey, int] = {}
        """Sandboxes asked for but not started yet."""
        self._idle = 0
        """Waiting plus queued sandboxes, over all keys."""
        self._requests: deque[RunKey] = deque()
        self._doomed: list[ToolProcess] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="prestart", daemon=True)
        self._thread.start()

    def take(self, key: RunKey) -> ToolProcess | None:
        """The oldest sandbox started for exactly `key`, or None (then start one cold)."""
        with self._changed:
            if not self._waiting.get(key):
                return None
            waiting = self._waiting.pop(key)
            self._waiting[key] = waiting  # now the most recently used key
            tool = self._pick(waiting)
            self._idle -= 1
        if not is_running(tool.proc) or workspace_id(key.workspace) != tool.workspace_id:
            self._dispose([tool])
            return None
        return tool

    @staticmethod
    def _pick(waiting: deque[ToolProcess]) -> ToolProcess:
        """The oldest one whose interpreter is ready; if none is, the oldest (nearest to it).

        Waiting for a sandbox still starting beats starting one cold: its start-up is already
        partly done, and a cold start would compete with it for the CPU (see README, Speed).
        """
        for tool in waiting:
            try:
                pipe = try_open_pipe(tool)
            except OSError:
                continue  # its directory is broken; the hand-over will fail and start cold
            if pipe is not None:
                tool.pipe = pipe
                waiting.remove(tool)
                return tool
        return waiting.popleft()

    def refill(self, key: RunKey) -> None:
        """Ask for sandboxes for `key` in the background, up to `per_key` waiting or queued."""
        with self._changed:
            if self._closed:
                return
            have = len(self._waiting.get(key, ())) + self._queued.get(key, 0)
            added = 0
            while have + added < self._per_key:
                if self._idle >= self._max_idle and not self._evict_other(key):
                    break
                self._idle += 1
                added += 1
                self._requests.append(key)
            if added:
                self._queued[key] = self._queued.get(key, 0) + added
                self._changed.notify()

    def close(self) -> None:
        """Kill every waiting sandbox; one being started is killed as soon as it exists."""
        with self._changed:
            self._closed = True
            tools = [tool for waiting in self._waiting.values() for tool in waiting]
            tools += self._doomed
            self._waiting.clear()
            self._doomed.clear()
            self._requests.clear()
            self._changed.notify()
        for tool in tools:
            tool.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=HAND_OVER_PATIENCE_SECONDS)

    def _dispose(self, tools: list[ToolProcess]) -> None:
        """Close sandboxes on the pool's thread, off the caller's path."""
        with self._changed:
            if not self._closed:
                self._doomed += tools
                self._changed.notify()
                return
        for tool in tools:
            tool.close()

    def _evict_other(self, key: RunKey) -> bool:
        """Drop the oldest sandbox of the least recently used other key (lock held)."""
        for other, waiting in self._waiting.items():
            if other != key and waiting:
                self._doomed.append(waiting.popleft())
                self._idle -= 1
                if not waiting and not self._queued.get(other):
                    del self._waiting[other]
                return True
        return False

    def _serve(self) -> None:
        while True:
            with self._changed:
                while True:
                    timeout = self._expire()
                    if self._closed or self._requests or self._doomed:
                        break
                    self._changed.wait(timeout)
                if self._closed:
                    return
                doomed, self._doomed = self._doomed, []
                key = self._requests.popleft() if self._requests else None
            for tool in doomed:
                tool.close()
            if key is not None:
                self._add(key)

    def _expire(self) -> float | None:
        """Move sandboxes unused for too long to the doomed list; seconds to the next expiry."""
        now = time.monotonic()
        next_expiry = None
        for key, waiting in list(self._waiting.items()):
            while waiting and waiting[0].expires <= now:
                self._doomed.append(waiting.popleft())
                self._idle -= 1
            if waiting:
                next_expiry = min(next_expiry or waiting[0].expires, waiting[0].expires)
            elif not self._queued.get(key):
                del self._waiting[key]
        return None if next_expiry is None else max(0.0, next_expiry - now)

    def _add(self, key: RunKey) -> None:
        try:
            tool = self._start(key)
        except Exception:
            log.exception("pre-starting a sandbox failed")
            tool = None
        with self._changed:
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key]
            if tool is None or self._closed:
                self._idle -= 1
            else:
                tool.expires = time.monotonic() + self._idle_seconds
                self._waiting.setdefault(key, deque()).append(tool)
                return
        if tool is not None:
            tool.close()
