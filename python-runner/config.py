"""Runner configuration, read from environment variables once at start-up."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from limits import DEFAULT_LIMITS, ENV_NAMES, Limits

SANDBOX_MODES = ("auto", "bubblewrap", "rlimits")


class ConfigError(Exception):
    """A variable has an unusable value; the message names the variable."""


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    workspace_root: Path
    sandbox: str
    python: str
    concurrency: int
    prestart_pool: int
    """Ready sandboxes kept per key (0: none); RUNNER_PRESTART=0 also turns them off."""
    prestart_max_idle: int
    """Pre-started sandboxes waiting at once, over all keys."""
    prestart_idle_s: int
    """Seconds a pre-started sandbox may wait unused before it is dropped."""
    tool_user: int | None
    """uid/gid tools run as; set only when the runner is root (RLIMIT_NPROC exempts root)."""
    limits: Limits
    workspace_mb: int = 1024
    """Disk a workspace may use before its files may no longer grow (0: no quota)."""
    shutdown_s: int = 8
    """On SIGTERM: seconds executions in progress get to answer before they are killed."""


def load_config(env: Mapping[str, str]) -> Config:
    sandbox = env.get("RUNNER_SANDBOX", "auto")
    if sandbox not in SANDBOX_MODES:
        modes = ", ".join(SANDBOX_MODES)
        raise ConfigError(f"RUNNER_SANDBOX must be one of {modes}, got {sandbox!r}")
    limits = Limits(
        **{
            field: _positive_int(env, name, getattr(DEFAULT_LIMITS, field))
            for field, name in ENV_NAMES.items()
        }
    )
    return Config(
        host=env.get("RUNNER_HOST", "127.0.0.1"),
        port=_int_in_range(env, "RUNNER_PORT", 4020, 0, 65535),
        workspace_root=Path(env.get("RUNNER_WORKSPACE", "./.hyperdesk/workspace")).resolve(),
        sandbox=sandbox,
        python=env.get("RUNNER_PYTHON", _default_python()),
        concurrency=_positive_int(env, "RUNNER_CONCURRENCY", 8),
        prestart_pool=(
            _int_in_range(env, "RUNNER_PRESTART_POOL", 2, 0, 64)
            if _flag(env, "RUNNER_PRESTART", True)
            else 0
        ),
        prestart_max_idle=_int_in_range(env, "RUNNER_PRESTART_MAX_IDLE", 8, 0, 1024),
        prestart_idle_s=_positive_int(env, "RUNNER_PRESTART_IDLE_S", 60),
        shutdown_s=_int_in_range(env, "RUNNER_SHUTDOWN_S", 8, 0, 600),
        workspace_mb=_int_in_range(env, "RUNNER_WORKSPACE_MB", 1024, 0, 2**31),
        tool_user=_tool_user(env),
        limits=limits,
    )


def _default_python() -> str:
    """The system interpreter sees Debian's python3-* packages; else the runner's own."""
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _tool_user(env: Mapping[str, str]) -> int | None:
    """A root runner hands tools to an unprivileged uid (default 65534, nobody)."""
    if os.geteuid() != 0:
        return None
    return _int_in_range(env, "RUNNER_TOOL_UID", 65534, 1, 2**32 - 2)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in ("1", "0", "true", "false"):
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in ("1", "true")


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    return _int_in_range(env, name, default, 1, 2**62)


def _int_in_range(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value
