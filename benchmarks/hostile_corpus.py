"""The hostile corpus, class by class, through the Python API and the ``ibert`` command: how long
each payload takes to be refused, and how it ends.

Run: python benchmarks/hostile_corpus.py [--surface api|cli|both] [--per-class N]

API: code classes through ``verify_runs`` (evaluate, compile, run on generated databases) and SQL
classes through ``verify_pair``, in this process with its warm worker. CLI: each payload as a new
``ibert`` process (``to-sql``/``fix`` for code, ``from-sql`` for SQL, ``doc`` for files, the flag
and settings-file probes with ``to-sql``), with a fresh ``$HOME`` and ``TMPDIR``, checked for a
file in ``$HOME`` (DuckDB's extension folder), a scratch folder left behind, and a traceback.
Prints one line per class (median and slowest seconds, outcomes) and the slowest payload of each
surface; exits 1 when any payload took 20 s or more, wrote, left something, or showed a traceback.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ibert_assets_tests.engine.hostile_payloads import (
    CLI_INPUTS,
    DOC_FILES,
    HUGE_CONFIG,
    by_kind,
)

SCHEMA = {"t": {"a": "int64", "b": "string"}}
CODE_CLASSES = ["protocol", "rebind", "runaway", "output", "escape", "dos"]
SQL_CLASSES = ["sql_runaway", "sql"]
LIMIT_S = 20.0


def api(per_class: int) -> list[tuple[str, str, float, str]]:
    from ibert_inference.verify.pair import verify_pair, verify_runs

    verify_runs("t.select('a')", SCHEMA)  # the worker's start is not a payload's cost
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        marker = str(Path(folder) / "pwned")
        for kind in CODE_CLASSES + SQL_CLASSES:
            for payload in by_kind(kind)[:per_class]:
                text = payload.render(marker)
                started = time.perf_counter()
                if kind in SQL_CLASSES:
                    verdict = verify_pair(text, "t.select('a')", SCHEMA)
                else:
                    verdict = verify_runs(text, SCHEMA)
                took = time.perf_counter() - started
                outcome = "ok!" if verdict.ok else verdict.status
                if Path(marker).exists():
                    outcome = "WROTE"
                rows.append((kind, payload.name, took, outcome))
    return rows


def cli(per_class: int) -> list[tuple[str, str, float, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def ibert(kind: str, name: str, args: list[str], stdin: str = "", cwd: Path = root):
            home, tmp = root / "home", root / "tmp"
            for path in (home, tmp):
                path.mkdir(exist_ok=True)
            env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp)}
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "ibert_inference.cli", *args],
                input=stdin.encode(), capture_output=True, env=env, cwd=cwd, timeout=120,
            )  # fmt: skip
            took = time.perf_counter() - started
            stderr = result.stderr.decode(errors="replace")
            outcome = f"exit {result.returncode}"
            if "Traceback" in stderr or (result.returncode and stderr.count("\n") > 1):
                outcome += " TRACEBACK/MULTI-LINE"
            if list(home.iterdir()):
                outcome += " WROTE-HOME"
            if list(tmp.glob("ibert-sandbox-*")):
                outcome += " LEFT-SCRATCH"
            if (root / "pwned").exists():
                outcome += " WROTE"
            rows.append((kind, name, took, outcome))

        marker = str(root / "pwned")
        ibert("baseline", "to-sql t.select('a')", ["to-sql", "--schema", "a: int64"], "t")
        for kind in CODE_CLASSES:
            for payload in by_kind(kind)[:per_class]:
                for command in (["to-sql"], ["fix", "--no-model"]):
                    args = [*command, "--schema", "a: int64, b: string"]
                    ibert(kind, f"{command[0]} {payload.name}", args, payload.render(marker))
        for kind in SQL_CLASSES:
            for payload in by_kind(kind)[:per_class]:
                args = ["from-sql", "--schema", "a: int64, b: string", "--no-model"]
                ibert(kind, f"from-sql {payload.name}", args, payload.render(marker))
        for name, flags in CLI_INPUTS.items():
            ibert("flags", name, ["to-sql", *as_files(flags, root)], "t")
        for name, text in DOC_FILES.items():
            ibert("doc", name, ["doc"], text)
        huge = root / "huge.yaml"
        huge.write_text(HUGE_CONFIG)
        args = ["fix", "--no-model", "--schema", "a: int64", "--config", str(huge)]
        ibert("config", "fix --config 4.9 MB", args, "t.a")
        checkout = root / "checkout"
        checkout.mkdir()
        (checkout / "config.yaml").write_text(HUGE_CONFIG)
        for task, args, stdin in [
            ("to-sql", ["--schema", "a: int64"], "t"),
            ("from-sql", ["--schema", "a: int64", "--no-model"], "SELECT a FROM t"),
            ("fix", ["--schema", "a: int64", "--no-model"], "t.a"),
            ("complete", ["--schema", "a: int64"], "t.filter("),
            ("qa", ["--no-model", "-q", "how to filter"], ""),
            ("doc", [], "def f(t):\n    return t\n"),
        ]:
            ibert("config", f"discovered config.yaml: {task}", [task, *args], stdin, checkout)
    return rows


def as_files(flags: list[str], folder: Path) -> list[str]:
    """Flags with any value too long for a command line (128 kB) written to a file instead."""
    changed = []
    for number, flag in enumerate(flags):
        if len(flag) > 100_000:
            path = folder / f"flag-{number}.txt"
            path.write_text(flag)
            flag = str(path)
        changed.append(flag)
    return changed


def report(surface: str, rows: list[tuple[str, str, float, str]]) -> bool:
    by_class: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    for kind, name, took, outcome in rows:
        by_class[kind].append((name, took, outcome))
    print(f"\n{surface}: {len(rows)} payloads")
    print(f"{'class':<12} {'n':>3} {'median s':>9} {'max s':>7}  outcomes")
    for kind, items in by_class.items():
        times = [took for _, took, _ in items]
        outcomes = Counter(outcome for _, _, outcome in items)
        shown = ", ".join(f"{o} x{n}" for o, n in outcomes.most_common())
        median = statistics.median(times)
        print(f"{kind:<12} {len(items):>3} {median:>9.2f} {max(times):>7.2f}  {shown}")
    kind, name, took, outcome = max(rows, key=lambda row: row[2])
    print(f"slowest on {surface}: {name} ({kind}) {took:.2f} s, {outcome}")
    warnings = ("WROTE", "LEFT", "TRACEBACK", "ok!")
    bad = [r for r in rows if r[2] >= LIMIT_S or any(w in r[3] for w in warnings)]
    for row in bad:
        print(f"FAILED: {row}")
    return not bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surface", choices=("api", "cli", "both"), default="both")
    parser.add_argument("--per-class", type=int, default=3)
    args = parser.parse_args()
    good = True
    if args.surface in ("api", "both"):
        good &= report("API", api(args.per_class))
    if args.surface in ("cli", "both"):
        good &= report("CLI", cli(args.per_class))
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
