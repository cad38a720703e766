"""Prometheus text-format metrics of the runner (GET /metrics), written by hand: stdlib only."""

from __future__ import annotations

import threading

from outcome import Outcome

DURATION_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RunnerMetrics:
    """Counts executions by outcome (ok, error, killed), kills by cause, and their durations."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: dict[str, int] = {}
        self._kills: dict[str, int] = {}
        self._refused = 0
        self._bucket_counts = [0] * len(DURATION_BUCKETS_S)
        self._duration_sum_s = 0.0
        self._duration_count = 0

    def record(self, outcome: Outcome) -> None:
        kind = "ok" if outcome.ok else "killed" if outcome.killed_by else "error"
        seconds = outcome.duration_ms / 1000
        with self._lock:
            self._executions[kind] = self._executions.get(kind, 0) + 1
            if outcome.killed_by:
                self._kills[outcome.killed_by] = self._kills.get(outcome.killed_by, 0) + 1
            for i, bound in enumerate(DURATION_BUCKETS_S):
                if seconds <= bound:
                    self._bucket_counts[i] += 1
            self._duration_sum_s += seconds
            self._duration_count += 1

    def record_refused(self) -> None:
        with self._lock:
            self._refused += 1

    def render(self) -> bytes:
        with self._lock:
            lines = [
                "# HELP hyperdesk_runner_executions_total Tool executions by outcome: ok, error"
                " (the tool failed), killed (a limit ended it).",
                "# TYPE hyperdesk_runner_executions_total counter",
                *_samples("hyperdesk_runner_executions_total", "outcome", self._executions),
                "# HELP hyperdesk_runner_kills_total Executions the sandbox ended, by cause.",
                "# TYPE hyperdesk_runner_kills_total counter",
                *_samples("hyperdesk_runner_kills_total", "killed_by", self._kills),
                "# HELP hyperdesk_runner_refused_total Execute requests refused as invalid (400).",
                "# TYPE hyperdesk_runner_refused_total counter",
                f"hyperdesk_runner_refused_total {self._refused}",
                "# HELP hyperdesk_runner_execution_duration_seconds Wall time of one execution.",
                "# TYPE hyperdesk_runner_execution_duration_seconds histogram",
            ]
            for bound, count in zip(DURATION_BUCKETS_S, self._bucket_counts):
                lines.append(
                    f'hyperdesk_runner_execution_duration_seconds_bucket{{le="{bound}"}} {count}'
                )
            name = "hyperdesk_runner_execution_duration_seconds"
            lines += [
                f'{name}_bucket{{le="+Inf"}} {self._duration_count}',
                f"{name}_sum {self._duration_sum_s!r}",
                f"{name}_count {self._duration_count}",
            ]
        return ("\n".join(lines) + "\n").encode()


def _samples(name: str, label: str, counts: dict[str, int]) -> list[str]:
    return [f'{name}{{{label}="{_escape(key)}"}} {value}' for key, value in sorted(counts.items())]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
