"""Verify every example of every top-level template file and print per-file figures.

Usage: ``python benchmarks/check_templates.py [--seed N ...] [FILE_OR_STEM ...]`` — exits 1 if any
example fails on any seed. ``--seed 0 --seed 1000`` checks generation's seed and the one the
``reverified_on_fresh_seed`` asset check uses.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from ibert_assets.templates.loader import expand_template, load_template
from ibert_inference.verify.pair import verify_pair

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SHOWN_FAILURES = 3


def template_paths(selection: list[str]) -> list[Path]:
    """Top-level template files, optionally narrowed to the named files or stems."""
    paths = sorted(TEMPLATES_DIR.glob("*.yaml"))
    if not selection:
        return paths
    wanted = {Path(item).stem for item in selection}
    return [path for path in paths if path.stem in wanted]


def check_file(path: Path, seeds: list[int]) -> tuple[int, Counter[str], list[str]]:
    """Generated count, verdict statuses (the worst over ``seeds``) and the first failures."""
    examples = expand_template(load_template(path))
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    for example in examples:
        status, reason = "verified", ""
        for seed in seeds:
            try:
                verdict = verify_pair(example.sql, example.ibis, example.schema, seed=seed)
                status, reason = verdict.status, verdict.reason or ""
            except Exception as exc:  # a crash counts against the example, not the run
                status, reason = "crash", f"{type(exc).__name__}: {exc}"
            if status != "verified":
                reason = f"seed {seed}: {reason}"
                break
        statuses[status] += 1
        if status != "verified" and len(failures) < SHOWN_FAILURES:
            failures.append(f"{example.family} {example.variation}: {status}: {reason[:400]}")
    return len(examples), statuses, failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append", help="seed (repeatable; default 0)")
    parser.add_argument("files", nargs="*", help="template files or stems (default: all)")
    args = parser.parse_args(argv)
    seeds = args.seed or [0]
    started = time.perf_counter()
    total_generated, total_verified, files = 0, 0, 0
    for path in template_paths(args.files):
        file_started = time.perf_counter()
        try:
            generated, statuses, failures = check_file(path, seeds)
        except Exception as exc:  # a broken file must not hide the others
            print(f"{path.name}: LOAD/EXPAND ERROR {exc}")
            total_generated += 1
            continue
        files += 1
        verified = statuses.get("verified", 0)
        total_generated += generated
        total_verified += verified
        rejected = {k: v for k, v in statuses.items() if k != "verified"}
        print(
            f"{path.name:32s} generated={generated:4d} verified={verified:4d} "
            f"rejected={rejected or '-'} ({time.perf_counter() - file_started:.1f} s)"
        )
        for failure in failures:
            print(f"    {failure}")
    elapsed = time.perf_counter() - started
    print(
        f"TOTAL files={files} generated={total_generated} verified={total_verified} "
        f"failed={total_generated - total_verified} seeds={seeds} time={elapsed:.1f} s"
    )
    return 0 if total_generated == total_verified and files else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
