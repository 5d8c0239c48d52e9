"""Cold start of ``ibert to-sql`` and ``ibert from-sql`` beside importing ibis, sqlglot and duckdb.

Target: each command's cold start is at most 1.5x ``python -c "import ibis, sqlglot, duckdb"``.
Wall-clock time is what a user waits; CPU time (the command and every process it waited for, the
sandbox worker included) is printed beside it because it barely moves when other jobs share the
machine, while wall-clock time does. The commands run in rounds, one of each per round, and a
ratio is the median of the rounds' ratios: a round's commands meet the same load, so a busy
spell of the machine moves both sides of its ratio. The commands run with bytecode caching on
(as an installed command does; the warm-up round writes the ``.pyc`` files), whatever
PYTHONDONTWRITEBYTECODE says.

    python benchmarks/bench_cli.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

SCHEMA = '{"orders": {"id": "int64", "amount": "float64", "status": "string"}}'
CASES = {
    "baseline: import ibis, sqlglot, duckdb": (
        [sys.executable, "-c", "import ibis, sqlglot, duckdb"],
        "",
    ),
    "ibert to-sql": (
        [sys.executable, "-m", "ibert_inference.cli", "to-sql", "--schema", SCHEMA],
        "result = orders.filter(_.amount > 10).select('id', 'status')",
    ),
    "ibert from-sql": (
        [
            sys.executable,
            "-m",
            "ibert_inference.cli.main",
            "from-sql",
            "--no-model",
            "--schema",
            SCHEMA,
        ],
        "SELECT id, status FROM orders WHERE amount > 10",
    ),
}


class CommandFailed(Exception):
    """The command exited non-zero: its time would not measure a real run."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(command: list[str], stdin: str) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one run."""
    cpu, start = _children_cpu(), time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise CommandFailed(f"exit {result.returncode}: {result.stderr.strip()[:200]}")
    return elapsed, _children_cpu() - cpu


BASELINE = "baseline: import ibis, sqlglot, duckdb"


def rounds(runs: int) -> dict[str, list[tuple[float, float]]]:
    """``runs`` rounds after a warm-up one (it warms the OS file cache: "cold" means a new
    interpreter): each case's (wall-clock, CPU) seconds, one per round. A case that fails is
    left out, with its reason printed."""
    cases = dict(CASES)
    for name, (command, stdin) in list(cases.items()):
        try:
            cold_start(command, stdin)
        except CommandFailed as exc:
            print(f"{name:42s} not measured: {exc}")
            del cases[name]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, stdin) in cases.items():
            times[name].append(cold_start(command, stdin))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    times = rounds(runs)
    for name, measured in times.items():
        walls, cpus = [wall for wall, _ in measured], [cpu for _, cpu in measured]
        print(
            f"{name:42s} median {statistics.median(walls):.3f} s  (min {min(walls):.3f}), "
            f"CPU {statistics.median(cpus):.3f} s, n={runs}"
        )
    if BASELINE not in times:
        return
    for name in ("ibert to-sql", "ibert from-sql"):
        if name in times:
            pairs = list(zip(times[name], times[BASELINE], strict=True))
            wall = statistics.median(own[0] / base[0] for own, base in pairs)
            cpu = statistics.median(own[1] / base[1] for own, base in pairs)
            print(
                f"{name} / baseline: wall {wall:.2f}x, CPU {cpu:.2f}x  "
                "(medians of the rounds' ratios; target <= 1.50x)"
            )


if __name__ == "__main__":
    main()
