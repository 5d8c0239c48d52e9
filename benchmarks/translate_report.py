"""Share of the SQL corpus that the translator translates and that verifies, per construct family.

Run from the repository root::

    python benchmarks/translate_report.py                  # table + one line per failure
    python benchmarks/translate_report.py --ibis-baseline  # also judge ibis.parse_sql + decompile
    python benchmarks/translate_report.py --json report.json
    python benchmarks/translate_report.py --seeds 0,1,2        # verified on three seeds' databases

A query counts as *translated* when ``sql_to_ibis`` returns, and as *verified* when
``verify_pair`` on the generated databases says ``verified`` (same rows as the SQL). The xfail
column counts queries marked ``xfail`` in the corpus YAML (expected not to verify yet).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass

from ibert_assets_tests.sql_corpus import FAMILIES, CorpusQuery, load_corpus

# a schema table bound by name (``orders = ibis.table(name='orders', ...)``), not ``result = ...``
_TABLE_DEFINITION = re.compile(r"^(\w+) = ibis\.table\(name='\1',.*\)$")


@dataclass
class Outcome:
    id: str
    family: str
    dialect: str
    xfail: bool
    translated: bool
    status: str  # "verified", a Verdict status, or "untranslated"
    reason: str | None


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:160] if lines else ""


def judge(query: CorpusQuery, translate, verify_pair, seeds: tuple[int, ...] = (0,)) -> Outcome:
    """Translate one query (``translate(query) -> code``) and verify it on every seed's databases.

    The first seed whose verdict is not ``verified`` decides the outcome."""
    try:
        code = translate(query)
    except Exception as exc:
        return Outcome(
            query.id,
            query.family,
            query.dialect,
            bool(query.xfail),
            False,
            "untranslated",
            f"{type(exc).__name__}: {_first_line(exc)}",
        )
    try:
        for seed in seeds:
            verdict = verify_pair(
                query.sql, code, query.schema_tables, dialect=query.dialect, seed=seed
            )
            if verdict.status != "verified":
                break
    except Exception as exc:  # a verifier crash is a finding too: keep it in the report
        return Outcome(
            query.id,
            query.family,
            query.dialect,
            bool(query.xfail),
            True,
            "verifier_error",
            f"{type(exc).__name__}: {_first_line(exc)}",
        )
    reason = None if verdict.status == "verified" else f"seed {seed}: {_first_line(verdict.reason)}"
    return Outcome(
        query.id, query.family, query.dialect, bool(query.xfail), True, verdict.status, reason
    )


def translate_with_ibert(query: CorpusQuery) -> str:
    from ibert_inference.translate import sql_to_ibis

    return sql_to_ibis(query.sql, query.schema_tables, query.dialect).code


def translate_with_ibis_decompile(query: CorpusQuery) -> str:
    """Ibis's own decompiler minus its ``ibis.table(...)`` lines (the verifier binds tables)."""
    import ibis

    from ibert_inference.schema.tables import ibis_tables

    catalog = {name: table.schema() for name, table in ibis_tables(query.schema_tables).items()}
    code = ibis.decompile(ibis.parse_sql(query.sql, catalog, dialect=query.dialect))
    return "\n".join(line for line in code.splitlines() if not _TABLE_DEFINITION.match(line))


def print_table(title: str, outcomes: list[Outcome]) -> None:
    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_family[outcome.family].append(outcome)
    print(f"\n{title}")
    header = f"{'family':<18} {'total':>5} {'transl':>6} {'verif':>6} {'%transl':>8} {'%verif':>7}"
    print(header + f" {'xfail':>5}")
    print("-" * (len(header) + 6))
    for family in [*FAMILIES, "ALL"]:
        rows = outcomes if family == "ALL" else by_family.get(family, [])
        if not rows:
            continue
        if family == "ALL":
            print("-" * (len(header) + 6))
        translated = sum(o.translated for o in rows)
        verified = sum(o.status == "verified" for o in rows)
        print(
            f"{family:<18} {len(rows):>5} {translated:>6} {verified:>6} "
            f"{100 * translated / len(rows):>7.0f}% {100 * verified / len(rows):>6.0f}% "
            f"{sum(o.xfail for o in rows):>5}"
        )


def print_failures(outcomes: list[Outcome]) -> None:
    failures = [o for o in outcomes if o.status != "verified"]
    if not failures:
        return
    statuses: dict[str, int] = defaultdict(int)
    for outcome in failures:
        statuses[outcome.status] += 1
    print(f"\nnot verified: {len(failures)} ({dict(sorted(statuses.items()))})")
    for outcome in failures:
        mark = " [xfail]" if outcome.xfail else ""
        print(f"  {outcome.id:<40} {outcome.status:<13} {outcome.reason}{mark}")


def _verify_pair():
    try:
        from ibert_inference.verify.pair import verify_pair
    except ImportError as exc:
        raise SystemExit(f"ibert_inference.verify.pair is not available yet ({exc})") from None
    return verify_pair


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=FAMILIES, help="only this construct family")
    parser.add_argument("--ibis-baseline", action="store_true", help="also judge ibis.decompile")
    parser.add_argument("--json", metavar="PATH", help="write every outcome as JSON here")
    parser.add_argument(
        "--seeds", default="0", help="comma-separated verifier seeds, all must verify (0,1,2)"
    )
    parser.add_argument("--quiet", action="store_true", help="table only, no failure list")
    args = parser.parse_args(argv)

    verify_pair = _verify_pair()
    queries = [q for q in load_corpus() if args.family in (None, q.family)]
    seeds = tuple(int(seed) for seed in args.seeds.split(","))
    report: dict[str, list[dict]] = {}
    try:
        import ibert_inference.translate  # noqa: F401
    except ImportError as exc:
        print(f"ibert_inference.translate is not available yet ({exc})")
    else:
        ours = [judge(q, translate_with_ibert, verify_pair, seeds) for q in queries]
        print_table(f"sql_to_ibis on {len(queries)} corpus queries, seeds {seeds}", ours)
        if not args.quiet:
            print_failures(ours)
        report["sql_to_ibis"] = [asdict(o) for o in ours]
    if args.ibis_baseline:
        theirs = [judge(q, translate_with_ibis_decompile, verify_pair, seeds) for q in queries]
        print_table("ibis.parse_sql + ibis.decompile (baseline)", theirs)
        report["ibis_decompile"] = [asdict(o) for o in theirs]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
