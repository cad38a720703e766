"""What an execution's exit status and output mean for the caller."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from typing import Any

from limits import Limits
from process import Finished

PREVIEW_CHARS = 200
JSON_WHITESPACE = b" \t\n\r"
MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    result: Any
    stderr: str
    exit_code: int | None
    duration_ms: float
    killed_by: str | None
    error: str | None
    result_text: bytes | None = None
    """The tool's stdout, stripped, when it is the valid JSON `result` came from."""
    workspace_full: bool = False
    """It ran in a workspace over its quota, where no file could grow."""

    def to_json_bytes(self) -> bytes:
        """The answer body; a valid result goes out as the tool printed it, not re-encoded.

        Re-encoding costs as much as parsing did (~50 ms for a 1 MB result here), and the
        text was just checked to be one JSON value.
        """
        if self.result_text is None:
            return json.dumps(self.to_json()).encode()
        rest = json.dumps({k: v for k, v in self.to_json().items() if k != "result"}).encode()
        return b'{"result": ' + self.result_text + b", " + rest[1:]

    def to_json(self) -> dict[str, Any]:
        body = {
            "ok": self.ok,
            "result": self.result,
            "stderr": self.stderr,
            "exitCode": self.exit_code,
            "durationMs": self.duration_ms,
            "killedBy": self.killed_by,
        }
        if self.error is not None:
            body["error"] = self.error
        if self.workspace_full:
            body["workspaceFull"] = True
        return body


def interpret(finished: Finished, limits: Limits, signal_number: int | None) -> Outcome:
    killed_by = finished.killed_by or _limit_hit(finished, limits, signal_number)
    exited = finished.killed_by is None and signal_number is None
    error = _failure(finished, limits, killed_by, signal_number)
    result = None
    if error is None:
        result, error = _parse_result(finished.stdout)
    text = finished.stdout.strip(JSON_WHITESPACE) if error is None else None
    return Outcome(
        ok=error is None,
        result=result,
        stderr=finished.stderr,
        exit_code=finished.returncode if exited else None,
        duration_ms=round(finished.duration_ms, 1),
        killed_by=killed_by,
        error=error,
        result_text=text,
    )


def _limit_hit(finished: Finished, limits: Limits, signal_number: int | None) -> str | None:
    """Which limit ended a process the runner did not kill itself, as far as can be told."""
    if signal_number == signal.SIGXCPU:
        return "cpu"
    if signal_number == signal.SIGKILL and finished.cpu_s >= limits.cpu_s:
        return "cpu"  # ignored SIGXCPU and reached the hard limit
    if finished.returncode != 0 and any(m in _last_line(finished.stderr) for m in MEMORY_MARKERS):
        return "memory"
    return "signal" if signal_number is not None else None


def _failure(
    finished: Finished, limits: Limits, killed_by: str | None, signal_number: int | None
) -> str | None:
    last_line = _last_line(finished.stderr) or "(nothing on stderr)"
    if killed_by == "timeout":
        return f"tool ran past the wall-time limit of {limits.wall_ms} ms (wallMs) and was killed"
    if killed_by == "output":
        return (
            f"tool wrote more than {limits.output_bytes} bytes to stdout (outputBytes) and was"
            " killed; its output was cut"
        )
    if killed_by == "cpu":
        return f"tool used more than {limits.cpu_s} s of CPU time (cpuS) and was killed"
    if killed_by == "memory":
        return f"tool ran out of memory (limit {limits.memory_mb} MB, memoryMb): {last_line}"
    if signal_number is not None:
        return f"tool was killed by signal {_signal_name(signal_number)}: {last_line}"
    if finished.returncode != 0:
        return f"tool exited with code {finished.returncode}: {last_line}"
    return None


def _parse_result(stdout: bytes) -> tuple[Any, str | None]:
    """Exactly one JSON value (surrounding whitespace allowed), or why not."""
    if not stdout.strip():
        return None, "tool printed nothing on stdout; it must print exactly one JSON value"
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, (
            f"tool printed binary output (not UTF-8 text, byte {error.start}); it must print"
            " exactly one JSON value"
        )
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except RecursionError:
        return None, "tool printed JSON nested too deeply to read; keep it under ~500 levels"
    except ValueError as error:
        preview = text.strip()[:PREVIEW_CHARS]
        if isinstance(error, json.JSONDecodeError) and error.msg == "Extra data":
            return None, (
                f"tool printed more than one JSON value (more output at character {error.pos});"
                f" it must print exactly one: {preview}"
            )
        return None, f"tool printed non-JSON output: {preview}"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _last_line(text: str) -> str:
    """The last non-empty line (a traceback's summary), shortened for the error message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= PREVIEW_CHARS else last[:PREVIEW_CHARS] + "…"
