"""Cold start of ``ibert to-sql`` and ``ibert from-sql`` beside importing ibis, sqlglot and duckdb.

Target: each command's cold start is at most 1.5x ``python -c "import ibis, sqlglot, duckdb"``.
Wall-clock time is what a user waits; CPU time (the command and every process it waited for, the
sandbox worker included) is printed beside it because it barely moves when other jobs share the
machine, while wall-clock time does. The commands run with bytecode caching on (as an installed
command does; the warm-up run writes the ``.pyc`` files), whatever PYTHONDONTWRITEBYTECODE says.

    python benchmarks/bench_cli.py [--runs 7]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    medians: dict[str, float] = {}
    cpus: dict[str, float] = {}
    for name, (command, stdin) in CASES.items():
        try:
            cold_start(command, stdin)  # warm the OS file cache: "cold" means a new interpreter
            times = [cold_start(command, stdin) for _ in range(runs)]
        except CommandFailed as exc:
            print(f"{name:42s} not measured: {exc}")
            continue
        medians[name] = statistics.median(wall for wall, _cpu in times)
        cpus[name] = statistics.median(cpu for _wall, cpu in times)
        print(
            f"{name:42s} median {medians[name]:.3f} s  (min {min(w for w, _ in times):.3f}), "
            f"CPU {cpus[name]:.3f} s, n={runs}"
        )
    baseline = "baseline: import ibis, sqlglot, duckdb"
    for name in ("ibert to-sql", "ibert from-sql"):
        if name in medians:
            print(
                f"{name} / baseline: wall {medians[name] / medians[baseline]:.2f}x, "
                f"CPU {cpus[name] / cpus[baseline]:.2f}x  (target <= 1.50x)"
            )


if __name__ == "__main__":
    main()
