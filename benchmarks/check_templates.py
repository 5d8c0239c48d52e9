"""Verify every example of every top-level template file and print per-file figures.

Usage: ``python benchmarks/check_templates.py [FILE_OR_STEM ...]`` — exits 1 if any example fails.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from ibert_assets.templates.loader import expand_template, load_template
from ibert_inference.verify import verify_pair

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SHOWN_FAILURES = 3


def template_paths(selection: list[str]) -> list[Path]:
    """Top-level template files, optionally narrowed to the named files or stems."""
    paths = sorted(TEMPLATES_DIR.glob("*.yaml"))
    if not selection:
        return paths
    wanted = {Path(item).stem for item in selection}
    return [path for path in paths if path.stem in wanted]


def check_file(path: Path) -> tuple[int, Counter[str], list[str]]:
    """Generated count, verdict statuses and the first failure reasons of one file."""
    examples = expand_template(load_template(path))
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    for example in examples:
        try:
            verdict = verify_pair(example.sql, example.ibis, example.schema)
            status, reason = verdict.status, verdict.reason or ""
        except Exception as exc:  # a crash in the verifier counts against the example, not the run
            status, reason = "crash", f"{type(exc).__name__}: {exc}"
        statuses[status] += 1
        if status != "verified" and len(failures) < SHOWN_FAILURES:
            failures.append(f"{example.family} {example.variation}: {status}: {reason[:400]}")
    return len(examples), statuses, failures


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    total_generated, total_verified, files = 0, 0, 0
    for path in template_paths(argv):
        file_started = time.perf_counter()
        try:
            generated, statuses, failures = check_file(path)
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
        f"failed={total_generated - total_verified} time={elapsed:.1f} s"
    )
    return 0 if total_generated == total_verified and files else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
