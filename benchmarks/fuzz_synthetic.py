"""Fuzzing report of the translator on synthetic worlds: refused and mismatched per construct.

Usage::

    python benchmarks/fuzz_synthetic.py --worlds 50 --queries 40          # print the report
    python benchmarks/fuzz_synthetic.py --worlds 50 --queries 40 --write  # and write it in docs/

Every query of every world goes through ``sql_to_ibis`` and ``verify_pair`` exactly as the
``synthetic_examples`` asset sends it (``build_synthetic_examples``). A query is *refused* when
the translator raises, *mismatched* when the verifier finds the two sides disagree (or the Ibis
side fails); the figures per construct are scaled to 10,000 generated queries.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ibert_assets.synthetic.examples import build_synthetic_examples, construct_table
from ibert_assets.synthetic.worlds import world_keys

REPORT = Path(__file__).resolve().parent.parent / "docs" / "synthetic_fuzzing.md"
FINDINGS = """## Found while building it

- A column named `format` (books' format) was translated as `_.format`, an attribute the safe
  evaluator refuses: every query over it was refused. Fixed: the translator reads columns whose
  names the evaluator refuses as attributes by subscript, `_["format"]`
  (`ibert_inference/translate/codegen.py`, `column_ref`).
- A table named `property` (real estate) is a Python builtin the evaluator reserves: every query
  over it was unsafe. The generator no longer names one (a test binds every table name).
- Two output columns of one name (`SELECT t.status, c.status ...`) cannot both exist in an Ibis
  table: the translator renames the second `status_2` and the verifier reports a mismatch. Kept
  as a strict xfail (`ibert_assets_tests/engine/test_translate_synthetic_findings.py`); the
  generator names the second column as an analyst would (`customer_status`).
- A table named with a space (`"Work Order"`, the quoted naming style) cannot be a variable of
  the Ibis code: the translation did not parse and was refused. Tables are named as Python names
  now (columns may still be quoted). A year filter written `EXTRACT(YEAR FROM d) = 2020` found
  no row on any database (the verifier plants dates, not years, in a date column): not drawn.
- Vacuous queries (empty on every database, so rejected): an INTERSECT of two values of one
  column, an upper bound below the smallest count, an EXCEPT over a category (its few values
  occur on both sides), and a second bound on a measure already compared with its average
  (`fare < (SELECT AVG(fare) ...) AND fare IS NULL`) or summed in a CTE whose total must pass a
  threshold (`SUM(kills) ... WHERE kills < 5` above 100) are empty by construction; the generator
  draws none of them now. What remains is empty by chance on small tables (a narrow date range
  with a HAVING, several selective filters together).
- With the richer generator (shape-aware choice, more variety): a parent column named `amount`
  shown beside the CTE's own `amount` was the two-names mismatch again (the generator shows no
  parent column named as a CTE output now); a name longer than 10 characters, and a CTE's
  average or largest amount above twice a typical total, found no row on any database (the
  verifier's names are 3-10 characters long: bounds are 3-6 now; such thresholds a twentieth);
  a date said by its event ("listed before ...") and by its words ("date listed is missing")
  took two conditions on one column (`listed_on IS NULL AND listed_on < ...`, empty): one
  condition per column now, whatever it is called.
"""
SHOWN = 8


def _one(args: tuple[str, int]) -> dict[str, Any]:
    key, queries = args
    build = build_synthetic_examples(key, queries=queries)
    return {
        "by_construct": build.by_construct,
        "counts": build.outcome.counts,
        "levels": build.levels,
        "rejects": [
            {"status": r["status"], "reason": (r["reason"] or "")[:300], "sql": r["sql"]}
            for r in build.outcome.rejects
        ],
    }


def report(worlds: int, queries: int, workers: int) -> str:
    start = time.perf_counter()
    by_construct: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    rejects: list[dict[str, Any]] = []
    jobs = [(key, queries) for key in world_keys(worlds)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for found in pool.map(_one, jobs):
            by_construct.update(found["by_construct"])
            counts.update(found["counts"])
            levels.update(found["levels"])
            rejects += found["rejects"]
    seconds = time.perf_counter() - start
    generated = counts["generated"]
    scale = 10_000 / generated if generated else 0.0
    lines = [
        "# Fuzzing the translator with synthetic worlds",
        "",
        f"`python benchmarks/fuzz_synthetic.py --worlds {worlds} --queries {queries} --write` "
        f"({workers} worker processes, {seconds:.0f} s): {generated} generated queries over "
        f"{worlds} worlds, {counts['verified']} verified pairs, {counts['duplicates']} "
        "duplicates. Figures per 10,000 generated queries are scaled from these; raise "
        "`--worlds` (and `--workers`) for more.",
        "",
        "Each query goes through `sql_to_ibis` and `verify_pair` as the `synthetic_examples` "
        "asset sends it. *Refused*: the translator raised (an unsupported construct); "
        "*mismatch* and other statuses: the verifier found the two sides disagree, or the Ibis "
        "side failed. A query counts once under each construct it uses.",
        "",
        "## Outcome",
        "",
        "| outcome | queries | per 10,000 generated |",
        "|---|---:|---:|",
    ]
    for name, n in sorted(counts.items()):
        if name != "generated":
            lines.append(f"| {name} | {n} | {n * scale:.0f} |")
    lines += ["", "## Complexity levels", "", "| level | queries |", "|---|---:|"]
    lines += [f"| {level} | {n} |" for level, n in sorted(levels.items())]
    rows = construct_table(by_construct)
    statuses = sorted({s for _, found in rows for s in found} - {"verified"})
    lines += [
        "",
        "## Per construct, per 10,000 generated queries",
        "",
        "| " + " | ".join(["construct", "queries", "verified", *statuses]) + " |",
        "|---|---:|---:|" + "---:|" * len(statuses),
    ]
    for construct, found in rows:
        total = sum(found.values())
        cells = [
            f"{n * scale:.0f}" for n in (total, *(found.get(s, 0) for s in ("verified", *statuses)))
        ]
        lines.append(f"| {construct} | " + " | ".join(cells) + " |")
    lines += ["", FINDINGS.rstrip(), "", "## What failed, by reason", ""]
    # the reason without where it happened: "on random-0: ..." and "(line 3)" vary per query
    reasons = Counter(
        (r["status"], re.sub(r"^on [\w-]+: |\s*\(line \d+\)", "", r["reason"])[:110])
        for r in rejects
    )
    if not reasons:
        lines.append("Nothing: every generated query was translated and verified.")
    else:
        lines += ["| status | reason | queries |", "|---|---|---:|"]
        lines += [
            f"| {s} | {reason.replace('|', '/')} | {n} |"
            for (s, reason), n in reasons.most_common()
        ]
        lines += ["", "Examples:", ""]
        for r in rejects[:SHOWN]:
            lines += [f"- {r['status']}: {r['reason'][:200]}", "", f"  `{r['sql']}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=50)
    parser.add_argument("--queries", type=int, default=40, help="queries per world")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"write {REPORT.name} in docs/")
    args = parser.parse_args()
    text = report(args.worlds, args.queries, args.workers)
    if args.write:
        REPORT.write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
