"""How a tool process is launched: bubblewrap plus rlimits, or rlimits only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from limits import Limits, prlimit_options

TOOL_DIR_INSIDE = "/tool"
WORKSPACE_INSIDE = "/workspace"
SYSTEM_TOP_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
NETWORK_FILES = (
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
)
BUBBLEWRAP_HINT = (
    "install bubblewrap (e.g. apt-get install bubblewrap) or set RUNNER_SANDBOX=rlimits"
    " to rely on rlimits only inside a hardened container"
)
INTERPRETER_QUESTION = (
    "import json, platform, sys; print(json.dumps({'executable': sys.executable,"
    " 'prefixes': [sys.prefix, sys.base_prefix], 'version': platform.python_version()}))"
)


class SandboxUnavailable(Exception):
    """The requested sandbox cannot run on this machine; the message says why."""


@dataclass(frozen=True)
class Interpreter:
    executable: str
    prefixes: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class ToolRun:
    """One execution: where its files are and what it may use."""

    tool_dir: Path
    workspace: Path
    limits: Limits
    network: bool
    argv: list[str] | None
    files_frozen: bool = False
    """The workspace is over its quota: no file may grow."""


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    cwd: str
    env: dict[str, str]
    user: int | None


@dataclass(frozen=True)
class BubblewrapSandbox:
    """Namespaces (user, pid, net, ipc, uts, cgroup, mount) from bwrap, rlimits from prlimit."""

    interpreter: Interpreter
    prlimit: str
    user: int | None
    bwrap_base: tuple[str, ...]
    name: str = "bubblewrap"

    def launch(self, run: ToolRun) -> Launch:
        args = list(self.bwrap_base)
        if run.network:
            args.append("--share-net")
            for path in NETWORK_FILES:
                args += ["--ro-bind-try", path, path]
        args += [
            "--size", str(run.limits.memory_mb * 1024 * 1024), "--tmpfs", "/tmp",
            "--size", str(run.limits.memory_mb * 1024 * 1024), "--tmpfs", "/dev/shm",
            "--ro-bind", str(run.tool_dir), TOOL_DIR_INSIDE,
            "--bind", str(run.workspace), WORKSPACE_INSIDE,
            "--chdir", WORKSPACE_INSIDE,
            # bwrap's root and /dev are tmpfs without a size: left writable, a tool could
            # fill the host's memory through them (/tmp and /dev/shm above are capped).
            "--remount-ro", "/", "--remount-ro", "/dev",
            "--", self.prlimit, *prlimit_options(run.limits, run.files_frozen), "--",
            *python_command(self.interpreter, f"{TOOL_DIR_INSIDE}/tool.py", run.argv),
        ]  # fmt: skip
        env = tool_env(self.interpreter, WORKSPACE_INSIDE)
        return Launch(args, cwd="/", env=env, user=self.user)

    def signal_of(self, returncode: int) -> int | None:
        """bwrap reports a tool killed by signal N as exit code 128 + N."""
        if returncode < 0:
            return -returncode
        return returncode - 128 if 128 < returncode <= 128 + 64 else None


@dataclass(frozen=True)
class RlimitsSandbox:
    """rlimits and an empty environment only; the container around the runner does the rest."""

    interpreter: Interpreter
    prlimit: str
    user: int | None
    name: str = "rlimits"

    def launch(self, run: ToolRun) -> Launch:
        tool_path = str(run.tool_dir / "tool.py")
        args = [self.prlimit, *prlimit_options(run.limits, run.files_frozen), "--"]
        args += python_command(self.interpreter, tool_path, run.argv)
        env = tool_env(self.interpreter, str(run.workspace))
        return Launch(args, cwd=str(run.workspace), env=env, user=self.user)

    def signal_of(self, returncode: int) -> int | None:
        return -returncode if returncode < 0 else None


Sandbox = BubblewrapSandbox | RlimitsSandbox


def python_command(interpreter: Interpreter, tool_path: str, argv: list[str] | None) -> list[str]:
    """-I: no user site or PYTHON* variables, site-packages still on the path; -B: no .pyc."""
    return [interpreter.executable, "-I", "-B", tool_path, *(argv or [])]


def tool_env(interpreter: Interpreter, workspace: str) -> dict[str, str]:
    """The whole environment a tool sees; nothing is inherited from the runner."""
    python_bin = os.path.dirname(interpreter.executable)
    return {
        "PATH": ":".join(dict.fromkeys([python_bin, "/usr/local/bin", "/usr/bin", "/bin"])),
        "HOME": workspace,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HYPERDESK_WORKSPACE": workspace,
    }


def inspect_interpreter(python: str) -> Interpreter:
    """Ask the interpreter tools will run under where it lives and which version it is."""
    try:
        answer = subprocess.run(
            [python, "-I", "-c", INTERPRETER_QUESTION],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        facts = json.loads(answer.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        raise SandboxUnavailable(f"cannot run RUNNER_PYTHON={python}: {error}") from None
    prefixes = tuple(dict.fromkeys(os.path.realpath(prefix) for prefix in facts["prefixes"]))
    return Interpreter(facts["executable"], prefixes, facts["version"])


def build_sandbox(mode: str, interpreter: Interpreter, user: int | None) -> Sandbox:
    """The sandbox for RUNNER_SANDBOX=mode ('auto' means bubblewrap); not yet probed.

    With `user` set, bwrap (or the tool) is started as that uid, so the tool's processes belong
    to an ordinary user whose RLIMIT_NPROC the kernel enforces; for root it does not.
    """
    prlimit = shutil.which("prlimit")
    if mode == "rlimits":
        if prlimit is None:
            raise SandboxUnavailable("prlimit (util-linux) is not on PATH")
        return RlimitsSandbox(interpreter, prlimit, user)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(f"bwrap is not on PATH; {BUBBLEWRAP_HINT}")
    if prlimit is None:
        raise SandboxUnavailable("prlimit (util-linux) is not on PATH")
    return BubblewrapSandbox(interpreter, prlimit, user, _bwrap_base(bwrap, interpreter, prlimit))


def _bwrap_base(bwrap: str, interpreter: Interpreter, prlimit: str) -> tuple[str, ...]:
    """The part of the bwrap command line that is the same for every execution.

    Capabilities are dropped and nested user namespaces refused: with capabilities in its user
    namespace a tool could remount the read-only binds writable. No --new-session: bwrap
    already starts in a session of its own without a terminal, and keeping the sandbox's init in
    bwrap's process group lets one killpg() end the whole PID namespace.
    """
    args = [
        bwrap,
        "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
        "--die-with-parent",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    for top in SYSTEM_TOP_DIRS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in _outside_system_dirs([*interpreter.prefixes, os.path.realpath(prlimit)]):
        args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    return tuple(args)


def _outside_system_dirs(paths: list[str]) -> list[str]:
    """Paths not already visible through the /usr and /bin, /lib... binds."""
    system = ("/usr", *SYSTEM_TOP_DIRS)
    return [
        path
        for path in dict.fromkeys(paths)
        if not any(path == top or path.startswith(top + "/") for top in system)
    ]
