"""A quota on each workspace's disk use, measured after executions and off their path.

An execution never waits for a measurement: each one queues its workspace for a measurement
on a background thread, and the next execution in that workspace reads the last figure. A
workspace over its quota still runs tools, but no file in it can grow (RLIMIT_FSIZE 0), so
a tool can still read and delete files and bring the workspace back under its quota.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

MIB = 1024 * 1024


def disk_usage(root: Path) -> int:
    """Bytes of disk the files and directories under `root` take (symlinks not followed)."""
    total = 0
    stack = [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue  # removed meanwhile
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total


class WorkspaceQuota:
    MIN_INTERVAL_S = 1.0
    """A workspace is walked at most this often, however many calls run in it."""

    def __init__(self, limit_mb: int) -> None:
        """`limit_mb` 0: no quota, nothing is measured."""
        self.limit_bytes = limit_mb * MIB
        self._usage: dict[Path, int] = {}
        self._measured_at: dict[Path, float] = {}
        self._due: dict[Path, float] = {}
        self._wake = threading.Condition()
        if self.limit_bytes > 0:
            threading.Thread(target=self._measure_forever, daemon=True).start()

    def over(self, workspace: Path) -> str | None:
        """Why files in `workspace` may not grow, or None while it is within its quota."""
        used = self._usage.get(workspace, 0)
        if self.limit_bytes <= 0 or used <= self.limit_bytes:
            return None
        return (
            f"the workspace uses {used / MIB:.0f} MB, over its quota of"
            f" {self.limit_bytes / MIB:.0f} MB (RUNNER_WORKSPACE_MB); no file in it can grow"
            " until files are deleted"
        )

    def measure_soon(self, workspace: Path) -> None:
        """Measure after this call: at once, or a second after the last walk of it."""
        if self.limit_bytes <= 0:
            return
        with self._wake:
            if workspace in self._due:
                return
            last = self._measured_at.get(workspace, float("-inf"))
            self._due[workspace] = max(time.monotonic(), last + self.MIN_INTERVAL_S)
            self._wake.notify()

    def _measure_forever(self) -> None:
        while True:
            with self._wake:
                while True:
                    now = time.monotonic()
                    ready = [w for w, due in self._due.items() if due <= now]
                    if ready:
                        workspace = ready[0]
                        del self._due[workspace]
                        break
                    soonest = min(self._due.values(), default=None)
                    self._wake.wait(None if soonest is None else soonest - now)
            self._usage[workspace] = disk_usage(workspace)
            self._measured_at[workspace] = time.monotonic()
