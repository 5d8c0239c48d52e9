"""How fast the SQL->Ibis translator is on the corpus, beside ibis.parse_sql + ibis.decompile.

Run from the repository root::

    python benchmarks/bench_translate.py              # whole corpus, 3 timed runs per query
    python benchmarks/bench_translate.py --repeat 5 --family joins
    python benchmarks/bench_translate.py --ratio-only --every 3   # translation / evaluation only

Prints p50/p95 milliseconds per query (each query's time is the median of its timed runs), overall
and per construct family, and for Ibis's own experimental ``parse_sql`` + ``decompile``: how many
corpus queries it handles without raising, and how long those take. A query the translator rejects
is timed all the same (rejection is an answer) but counted apart.

The *evaluation ratio* compares, per translated query, the time ``sql_to_ibis`` takes with the
time one evaluation of the code it returned takes (``evaluate_ibis``: the cost a caller pays to
turn that code into an expression). A translator that builds the expression once is close to 1;
one that evaluates its own code again to check it is above 2.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ibert_assets_tests.sql_corpus import FAMILIES, CorpusQuery, load_corpus


@dataclass
class Timing:
    query: CorpusQuery
    seconds: float
    raised: str | None


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; ``share`` in 0..1.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.0
    """
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def time_each(
    queries: list[CorpusQuery], run: Callable[[CorpusQuery], object], repeat: int
) -> list[Timing]:
    """Median wall time of ``repeat`` runs per query, after one untimed warm-up run."""
    timings = []
    for query in queries:
        try:
            run(query)
        except Exception as exc:  # the first failure is the answer; do not time an error path
            timings.append(Timing(query, 0.0, f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            run(query)
            runs.append(time.perf_counter() - started)
        timings.append(Timing(query, statistics.median(runs), None))
    return timings


def _summary(label: str, timings: list[Timing]) -> str:
    ok = [t.seconds * 1000 for t in timings if t.raised is None]
    if not ok:
        return f"{label:<18} {len(timings):>5} {0:>5}  {'-':>8} {'-':>8}"
    return (
        f"{label:<18} {len(timings):>5} {len(ok):>5}  "
        f"{percentile(ok, 0.5):>8.1f} {percentile(ok, 0.95):>8.1f}"
    )


def print_table(title: str, timings: list[Timing]) -> None:
    print(f"\n{title}")
    print(f"{'family':<18} {'total':>5} {'ok':>5}  {'p50 ms':>8} {'p95 ms':>8}")
    by_family: dict[str, list[Timing]] = defaultdict(list)
    for timing in timings:
        by_family[timing.query.family].append(timing)
    for family in FAMILIES:
        if by_family.get(family):
            print(_summary(family, by_family[family]))
    print(_summary("ALL", timings))


def translator_run() -> Callable[[CorpusQuery], object] | None:
    try:
        from ibert_inference.translate import sql_to_ibis
    except ImportError as exc:
        print(f"ibert_inference.translate is not available ({exc}); timing ibis only")
        return None
    return lambda query: sql_to_ibis(query.sql, query.schema_tables, query.dialect)


def print_ratio(queries: list[CorpusQuery], repeat: int) -> None:
    """Translation time over one evaluation of the resulting code, overall and for long queries."""
    from ibert_assets_tests.in_process import evaluate_ibis
    from ibert_inference.schema.tables import ibis_tables
    from ibert_inference.translate import sql_to_ibis

    rows: list[tuple[CorpusQuery, float, float]] = []
    for query in queries:
        try:
            code = sql_to_ibis(query.sql, query.schema_tables, query.dialect).code
        except Exception:  # refused queries have no code to evaluate
            continue
        tables = ibis_tables(query.schema_tables)
        evaluate_ibis(code, tables=tables)  # warm-up
        # Interleaved runs: on a shared machine, load changes over time, not between neighbours.
        translating, evaluating = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            sql_to_ibis(query.sql, query.schema_tables, query.dialect)
            translating.append(time.perf_counter() - started)
            started = time.perf_counter()
            evaluate_ibis(code, tables=tables)
            evaluating.append(time.perf_counter() - started)
        translate = Timing(query, statistics.median(translating), None)
        evaluate = Timing(query, statistics.median(evaluating), None)
        rows.append((query, translate.seconds, evaluate.seconds))
    print("\nsql_to_ibis time / one evaluation of its code (ms; ratio of the medians per query)")
    print(f"{'queries':<18} {'n':>5}  {'p50 tr':>8} {'p95 tr':>8} {'p50 ev':>8} {'ratio p50':>9}")
    for label, subset in (
        ("ALL", rows),
        ("long_analytical", [r for r in rows if r[0].family == "long_analytical"]),
    ):
        if not subset:
            continue
        tr = [r[1] * 1000 for r in subset]
        ev = [r[2] * 1000 for r in subset]
        ratios = [r[1] / r[2] for r in subset if r[2] > 0]
        print(
            f"{label:<18} {len(subset):>5}  {percentile(tr, 0.5):>8.1f}"
            f" {percentile(tr, 0.95):>8.1f}"
            f" {percentile(ev, 0.5):>8.1f} {percentile(ratios, 0.5):>9.2f}"
        )


def ibis_decompile_run(query: CorpusQuery) -> str:
    import ibis

    from ibert_inference.schema.tables import ibis_tables

    catalog = {name: table.schema() for name, table in ibis_tables(query.schema_tables).items()}
    return ibis.decompile(ibis.parse_sql(query.sql, catalog, dialect=query.dialect))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query (median)")
    parser.add_argument("--family", choices=FAMILIES, help="only this construct family")
    parser.add_argument("--every", type=int, default=1, help="time every n-th query (a sample)")
    parser.add_argument(
        "--ratio-only", action="store_true", help="only the translation / evaluation ratio"
    )
    args = parser.parse_args(argv)

    queries = [q for q in load_corpus() if args.family in (None, q.family)]
    queries = [
        q for i, q in enumerate(queries) if i % args.every == 0 or q.family == "long_analytical"
    ]
    print(f"{len(queries)} corpus queries, {args.repeat} timed runs each")
    print_ratio(queries, args.repeat)
    if args.ratio_only:
        return

    run = translator_run()
    if run is not None:
        ours = time_each(queries, run, args.repeat)
        print_table("sql_to_ibis (ok = translated without raising)", ours)
        raised = [(t.query.id, t.raised) for t in ours if t.raised]
        if raised:
            print(f"{len(raised)} queries raised; first reasons:")
            for query_id, reason in raised[:10]:
                print(f"  {query_id}: {reason[:110]}")

    theirs = time_each(queries, ibis_decompile_run, args.repeat)
    print_table("ibis.parse_sql + ibis.decompile (ok = returned code without raising)", theirs)
    handled = sum(t.raised is None for t in theirs)
    print(
        f"ibis.parse_sql + decompile handles {handled}/{len(theirs)} queries without raising "
        "(not checked for correctness: decompile silently mistranslates HAVING, DISTINCT, OR)"
    )


if __name__ == "__main__":
    main()
