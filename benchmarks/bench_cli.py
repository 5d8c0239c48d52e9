"""Cold start of ``ibert to-sql`` and ``ibert from-sql`` beside importing ibis, sqlglot and duckdb.

Target: each command's cold start is at most 1.5x ``python -c "import ibis, sqlglot, duckdb"``.

    python benchmarks/bench_cli.py [--runs 7]
"""

from __future__ import annotations

import argparse
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


def cold_start(command: list[str], stdin: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise CommandFailed(f"exit {result.returncode}: {result.stderr.strip()[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    medians, minimums = {}, {}
    for name, (command, stdin) in CASES.items():
        try:
            cold_start(command, stdin)  # warm the OS file cache: "cold" means a new interpreter
            times = [cold_start(command, stdin) for _ in range(runs)]
        except CommandFailed as exc:
            print(f"{name:42s} not measured: {exc}")
            continue
        medians[name], minimums[name] = statistics.median(times), min(times)
        print(f"{name:42s} median {medians[name]:.3f} s  (min {min(times):.3f}, n={runs})")
    baseline = "baseline: import ibis, sqlglot, duckdb"
    for name in ("ibert to-sql", "ibert from-sql"):
        if name in medians:
            print(
                f"{name} / baseline: median {medians[name] / medians[baseline]:.2f}x, "
                f"min {minimums[name] / minimums[baseline]:.2f}x  (target <= 1.50x)"
            )


if __name__ == "__main__":
    main()
