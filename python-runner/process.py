"""Tool processes: start one in its own process group, then feed it, cap it and reap it."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import IO

from limits import STDERR_CAP_BYTES
from sandbox import Launch

READ_CHUNK = 64 * 1024

_live_groups: set[int] = set()
_live_lock = threading.Lock()


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: str
    cpu_s: float
    duration_ms: float
    killed_by: str | None
    """'timeout' or 'output' when the runner killed the process, else None."""


class HeadTailCapture:
    """Keeps the first and last half of `cap` bytes, so a traceback at the end survives."""

    def __init__(self, cap: int) -> None:
        self.half = cap // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        self.head += chunk[:room]
        self.tail += chunk[room:] if room > 0 else chunk
        excess = len(self.tail) - self.half
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def text(self) -> str:
        marker = f"\n[... {self.dropped} bytes of stderr cut ...]\n" if self.dropped else ""
        return bytes(self.head + marker.encode() + self.tail).decode("utf-8", errors="replace")


def spawn(launch: Launch) -> subprocess.Popen[bytes]:
    """Start a process as the leader of a new process group, so it can be killed as a whole."""
    as_user = {}
    if launch.user is not None:
        as_user = {"user": launch.user, "group": launch.user, "extra_groups": []}
    proc = subprocess.Popen(
        launch.argv, cwd=launch.cwd, env=launch.env, start_new_session=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **as_user,
    )  # fmt: skip
    with _live_lock:
        _live_groups.add(proc.pid)
    return proc


def supervise(
    proc: subprocess.Popen[bytes], stdin: bytes, wall_ms: int, output_bytes: int
) -> Finished:
    """Run to completion from now; kill the group past `wall_ms` or `output_bytes` of stdout."""
    started = time.monotonic()
    try:
        return _supervise(proc, stdin, started, started + wall_ms / 1000, output_bytes)
    finally:
        _untrack(proc)
        _close_pipes(proc)


def discard(proc: subprocess.Popen[bytes]) -> None:
    """Kill and reap a process that will not be used (its group too, even if it has exited)."""
    if proc.returncode is None:  # once reaped, its group id may belong to someone else
        _kill_group(proc.pid)
    _untrack(proc)
    proc.wait()
    _close_pipes(proc)


def is_running(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the process has not exited; unlike poll() it does not reap, so its group id stays."""
    if proc.returncode is not None:
        return False
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def kill_running() -> None:
    """Kill every tool process still alive (used when the runner shuts down)."""
    with _live_lock:
        groups = list(_live_groups)
    for group in groups:
        _kill_group(group)


def _untrack(proc: subprocess.Popen[bytes]) -> None:
    """Stop tracking the group before its leader is reaped and the id can be reused."""
    with _live_lock:
        _live_groups.discard(proc.pid)


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _supervise(
    proc: subprocess.Popen[bytes], stdin: bytes, started: float, deadline: float, output_bytes: int
) -> Finished:
    assert proc.stdin and proc.stdout and proc.stderr
    stdout = bytearray()
    stderr = HeadTailCapture(STDERR_CAP_BYTES)
    killed_by: str | None = None
    status: tuple[int, float] | None = None
    pending_stdin = memoryview(stdin)
    pidfd = os.pidfd_open(proc.pid)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
    selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
    selector.register(pidfd, selectors.EVENT_READ, "exit")
    if pending_stdin:
        os.set_blocking(proc.stdin.fileno(), False)
        selector.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    else:
        proc.stdin.close()
    try:
        while selector.get_map():
            now = time.monotonic()
            if status is not None and (killed_by or now >= deadline):
                break  # exited; stop waiting for pipes held open by escaped children
            if status is None and killed_by is None and now >= deadline:
                killed_by = "timeout"
                _kill_group(proc.pid)
            timeout = None if killed_by else max(0.0, deadline - now)
            for key, _ in selector.select(timeout):
                if key.data == "exit":
                    selector.unregister(pidfd)
                    _kill_group(proc.pid)  # leftovers; the group id is held until the reap
                    status = _reap(proc)
                elif key.data == "stdin":
                    pending_stdin = _write_some(proc.stdin, pending_stdin)
                    if not pending_stdin:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                else:
                    chunk = os.read(key.fd, READ_CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                    elif key.data == "stderr":
                        stderr.add(chunk)
                    else:
                        stdout += chunk
                        if len(stdout) > output_bytes and killed_by is None:
                            killed_by = "output"
                            del stdout[output_bytes:]
                            _kill_group(proc.pid)
    finally:
        selector.close()
        os.close(pidfd)
    assert status is not None
    returncode, cpu_s = status
    duration_ms = (time.monotonic() - started) * 1000
    return Finished(returncode, bytes(stdout), stderr.text(), cpu_s, duration_ms, killed_by)


def _write_some(pipe: IO[bytes], pending: memoryview) -> memoryview:
    """Write what the pipe takes now; a tool that stops reading simply gets no more."""
    try:
        written = os.write(pipe.fileno(), pending[:READ_CHUNK])
    except BlockingIOError:
        return pending
    except BrokenPipeError:
        return pending[:0]
    return pending[written:]


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Collect the exit status and the CPU seconds used by the process and its waited children."""
    _untrack(proc)
    _, wait_status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
