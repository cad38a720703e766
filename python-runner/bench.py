"""Latency figures for README.md: tools through HTTP, and bare spawns to compare them with.

Usage: python3 python-runner/bench.py [--rounds N] [--burst N] [--callers N,N] [--only PARTS]
                                      [--variant LABEL=PATH/server.py[,RUNNER_X=V...]]...

PARTS (comma-separated, default all):
  single      one call at a time, interleaved round by round so background load hits all alike:
              bare spawns, a runner without pre-starting (cold), and a pre-starting runner whose
              calls follow a 0.1 s pause (as between calls in real use);
  b2b         back to back: each round sends `burst` calls on one keep-alive connection, each as
              soon as the previous one answered (what `npm run bench` and polling apps do);
  concurrent  for each N in --callers: N callers at once, each on its own connection, each
              sending `burst` calls back to back; all latencies pooled.

Every part starts its own runners (scratch workspace, free port). With several --variant options
(another copy of the runner, or other RUNNER_* settings), b2b and concurrent start one runner per
variant and alternate between them round by round (A B, B A, ...), so a machine whose load
drifts does not favour one of them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from config import load_config
from sandbox import build_sandbox, inspect_interpreter

SERVER = Path(__file__).with_name("server.py")
TRIVIAL_TOOL = "print('{\"ok\": true}')"
JSON_TOOL = "import json, sys; print(json.dumps(json.load(sys.stdin)))"
BIG_TOOL = (
    "import json; print(json.dumps({'rows': [{'id': i, 'name': f'item {i}', 'tags': ['a', 'b']}"
    " for i in range(16000)]}))"
)  # ~700 KB of JSON
TOOLS = {"trivial": TRIVIAL_TOOL, "json": JSON_TOOL, "big": BIG_TOOL}
PAUSE_SECONDS = 0.1


@contextmanager
def runner(server: Path, prestart: bool, env: dict[str, str] | None = None) -> Iterator[str]:
    """A runner of its own; yields 'host:port'."""
    with tempfile.TemporaryDirectory(prefix="hyperdesk-bench-") as workspace:
        full_env = {
            **os.environ,
            "RUNNER_PORT": "0",
            "RUNNER_WORKSPACE": workspace,
            "RUNNER_PRESTART": "1" if prestart else "0",
            **(env or {}),
        }
        proc = subprocess.Popen(
            [sys.executable, str(server)], env=full_env, stdout=subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            started = re.search(rb"http://([\d.]+):(\d+)", proc.stdout.readline())
            assert started, "the runner did not start"
            yield f"{started[1].decode()}:{started[2].decode()}"
        finally:
            proc.terminate()
            proc.wait()


def connect(address: str) -> http.client.HTTPConnection:
    host, port = address.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port))


def execute(connection: http.client.HTTPConnection, code: str, pause: float = 0.0) -> float:
    """One call; returns its duration in ms (a pause before it is not counted)."""
    time.sleep(pause)
    body = json.dumps({"code": code, "args": {"n": 1}})
    started = time.perf_counter()
    connection.request("POST", "/execute", body, {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    elapsed = (time.perf_counter() - started) * 1000
    assert answer["ok"], answer
    return elapsed


def spawn(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def row(label: str, values: list[float], tail: float = 0.9) -> None:
    print(
        f"| {label} | {statistics.median(values):.1f} ms | {percentile(values, tail):.1f} ms"
        f" | p{round(tail * 100)} | n={len(values)} |",
        flush=True,
    )


def measure(actions: dict[str, Callable[[], float]], rounds: int) -> None:
    samples: dict[str, list[float]] = {label: [] for label in actions}
    for _ in range(rounds):
        for label, action in actions.items():
            samples[label].append(action())
    for label, values in samples.items():
        row(label, values)


def single(server: Path, rounds: int) -> None:
    config = load_config({})
    interpreter = inspect_interpreter(config.python)
    bwrap_base = build_sandbox("bubblewrap", interpreter, config.tool_user).bwrap_base
    python = interpreter.executable
    with runner(server, prestart=True) as warm_at, runner(server, prestart=False) as cold_at:
        warm, cold = connect(warm_at), connect(cold_at)
        actions: dict[str, Callable[[], float]] = {
            "spawn `python3 -c pass`": partial(spawn, [python, "-c", "pass"]),
            "spawn `python3 -I -B -c pass`": partial(spawn, [python, "-I", "-B", "-c", "pass"]),
            "spawn `bwrap ... python3 -I -B -c pass`": partial(
                spawn, [*bwrap_base, python, "-I", "-B", "-c", "pass"]
            ),
            "trivial tool, cold": partial(execute, cold, TRIVIAL_TOOL),
            "json echo tool, cold": partial(execute, cold, JSON_TOOL),
            "trivial tool, pre-started (0.1 s pause)": partial(
                execute, warm, TRIVIAL_TOOL, PAUSE_SECONDS
            ),
            "json echo tool, pre-started (0.1 s pause)": partial(
                execute, warm, JSON_TOOL, PAUSE_SECONDS
            ),
        }
        for action in actions.values():
            action()  # warm-up
        measure(actions, rounds)


@dataclass(frozen=True)
class Variant:
    """A runner to measure: which server.py, and extra RUNNER_* variables."""

    label: str
    server: Path
    env: dict[str, str]

    @staticmethod
    def parse(text: str) -> Variant:
        """label=path/to/server.py[,NAME=VALUE...]"""
        label, _, rest = text.partition("=")
        server, *assignments = rest.split(",")
        env = dict(assignment.split("=", 1) for assignment in assignments)
        return Variant(label, Path(server or SERVER), env)


def rotated(variants: list[Variant], round_number: int) -> list[Variant]:
    """A B, then B A, ...: every variant goes first as often, so drifting load hits all alike."""
    return variants if round_number % 2 == 0 else variants[::-1]


def back_to_back(variants: list[Variant], rounds: int, burst: int, tool: str) -> None:
    samples: dict[str, list[float]] = {variant.label: [] for variant in variants}
    with ExitStack() as stack:
        connections = {
            variant.label: connect(stack.enter_context(runner(variant.server, True, variant.env)))
            for variant in variants
        }
        for connection in connections.values():
            execute(connection, TRIVIAL_TOOL)  # warm-up
        for number in range(rounds):
            for variant in rotated(variants, number):
                time.sleep(PAUSE_SECONDS)
                connection = connections[variant.label]
                samples[variant.label] += [execute(connection, TOOLS[tool]) for _ in range(burst)]
    for label, values in samples.items():
        row(f"{label}: {tool} tool, back to back ({rounds} x {burst} calls)", values)


def concurrent(variants: list[Variant], callers: int, rounds: int, burst: int) -> None:
    samples: dict[str, list[float]] = {variant.label: [] for variant in variants}
    elapsed = dict.fromkeys(samples, 0.0)
    lock = threading.Lock()
    with ExitStack() as stack:
        connections = {}
        for variant in variants:
            address = stack.enter_context(runner(variant.server, True, variant.env))
            connections[variant.label] = [connect(address) for _ in range(callers)]
            for connection in connections[variant.label]:
                execute(connection, TRIVIAL_TOOL)  # warm-up, one by one
        for number in range(rounds):
            for variant in rotated(variants, number):
                time.sleep(PAUSE_SECONDS * 5)
                barrier = threading.Barrier(callers + 1)
                mine = samples[variant.label]

                def caller(connection: http.client.HTTPConnection) -> None:
                    barrier.wait()
                    durations = [execute(connection, TRIVIAL_TOOL) for _ in range(burst)]
                    with lock:
                        mine.extend(durations)

                threads = [
                    threading.Thread(target=caller, args=(c,)) for c in connections[variant.label]
                ]
                for thread in threads:
                    thread.start()
                barrier.wait()
                started = time.perf_counter()
                for thread in threads:
                    thread.join()
                elapsed[variant.label] += time.perf_counter() - started
    for label, values in samples.items():
        row(f"{label}: trivial tool, {callers} concurrent callers ({rounds} x {burst} calls each)",
            values, 0.99)
        print(f"| {label}: throughput | {len(values) / elapsed[label]:.0f} calls/s |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--callers", default="16")
    parser.add_argument("--only", default="single,b2b,concurrent")
    parser.add_argument("--tool", choices=TOOLS, default="trivial", help="for b2b")
    parser.add_argument(
        "--variant", action="append", type=Variant.parse,
        help="label=path/to/server.py[,RUNNER_X=1...]; repeat to compare runners in alternation",
    )  # fmt: skip
    options = parser.parse_args()
    parts = options.only.split(",")
    variants = options.variant or [Variant("runner", SERVER, {})]
    print("| measurement | median | tail | | |\n| --- | --- | --- | --- | --- |", flush=True)
    if "single" in parts:
        single(variants[0].server, options.rounds)
    if "b2b" in parts:
        back_to_back(variants, options.rounds, options.burst, options.tool)
    if "concurrent" in parts:
        for callers in (int(n) for n in options.callers.split(",")):
            rounds = max(1, options.rounds // 5)
            concurrent(variants, callers, rounds, options.burst // 2 or 1)


if __name__ == "__main__":
    main()
