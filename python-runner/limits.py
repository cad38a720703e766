"""Resource limits for one tool execution: defaults from env, lowering per request."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Mapping

STDERR_CAP_BYTES = 64 * 1024
"""stderr kept per execution: the first and last half of this, with a marker between."""


@dataclass(frozen=True)
class Limits:
    wall_ms: int
    cpu_s: int
    memory_mb: int
    processes: int
    open_files: int
    output_bytes: int

    def to_json(self) -> dict[str, int]:
        return {JSON_NAMES[field]: value for field, value in asdict(self).items()}


DEFAULT_LIMITS = Limits(
    wall_ms=10_000,
    cpu_s=10,
    memory_mb=256,
    processes=32,
    open_files=64,
    output_bytes=1024 * 1024,
)

JSON_NAMES = {
    "wall_ms": "wallMs",
    "cpu_s": "cpuS",
    "memory_mb": "memoryMb",
    "processes": "processes",
    "open_files": "openFiles",
    "output_bytes": "outputBytes",
}
FIELDS_BY_JSON_NAME = {json_name: field for field, json_name in JSON_NAMES.items()}

ENV_NAMES = {
    "wall_ms": "RUNNER_WALL_MS",
    "cpu_s": "RUNNER_CPU_S",
    "memory_mb": "RUNNER_MEMORY_MB",
    "processes": "RUNNER_PROCESSES",
    "open_files": "RUNNER_OPEN_FILES",
    "output_bytes": "RUNNER_OUTPUT_BYTES",
}


def lowered(ceiling: Limits, requested: Mapping[str, int]) -> Limits:
    """Apply a request's limits (JSON names); a value above the server's is clamped to it."""
    changes = {
        FIELDS_BY_JSON_NAME[name]: min(value, getattr(ceiling, FIELDS_BY_JSON_NAME[name]))
        for name, value in requested.items()
    }
    return replace(ceiling, **changes)


def prlimit_options(limits: Limits, files_frozen: bool = False) -> list[str]:
    """Options for util-linux `prlimit`, which sets the rlimits and then execs the tool.

    CPU gets a soft limit (SIGXCPU, recognisable) one second below the hard one (SIGKILL);
    core dumps are off so a killed tool leaves no core file in its workspace. No file a tool
    writes may grow past its memory limit (`RLIMIT_FSIZE`; Python gets EFBIG, "File too
    large"), so one call cannot fill the host's disk through its workspace with one file.
    `files_frozen` (the workspace is over its quota): no file may grow at all.
    """
    memory_bytes = limits.memory_mb * 1024 * 1024
    return [
        f"--as={memory_bytes}",
        f"--fsize={0 if files_frozen else memory_bytes}",
        f"--cpu={limits.cpu_s}:{limits.cpu_s + 1}",
        f"--nproc={limits.processes}",
        f"--nofile={limits.open_files}",
        "--core=0",
    ]
