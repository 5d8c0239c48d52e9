"""Translate the SQL corpus and check every translation; print per-family shares and timings.

Checks with ``ibert_inference.verify.verify_pair`` when it exists, else by running the SQL and
the Ibis-compiled SQL on the corpus's sample database and comparing rows. Run:
``python benchmarks/translate_corpus.py [family ...]`` (``-v`` prints each failure).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal

import ibis
import sqlglot

from ibert_assets_tests.sql_corpus import corpus_strings, load_corpus, load_schemas, sample_database
from ibert_inference.translate import sql_to_ibis


def _rows(con, sql: str, ordered: bool) -> list[tuple]:
    rows = [
        tuple(round(float(v), 6) if isinstance(v, float | Decimal) else v for v in row)
        for row in con.execute(sql).fetchall()
    ]
    return rows if ordered else sorted(rows, key=repr)


def _check(query, translation, connections) -> str | None:
    try:
        from ibert_inference.verify.pair import verify_pair
    except ImportError:
        verify_pair = None
    if verify_pair is not None:
        verdict = verify_pair(
            query.sql, translation.code, query.schema_tables, dialect=query.dialect
        )
        return None if verdict.status == "verified" else f"{verdict.status}: {verdict.reason}"
    sql = sqlglot.transpile(query.sql, read=query.dialect, write="duckdb")[0]
    ordered = sqlglot.parse_one(sql, read="duckdb").args.get("order") is not None
    con = connections[query.schema]
    expected = _rows(con, sql, ordered)
    actual = _rows(con, ibis.to_sql(translation.expr, dialect="duckdb"), ordered)
    return None if expected == actual else f"rows differ: {expected[:3]} vs {actual[:3]}"


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    families = [a for a in argv if not a.startswith("-")]
    connections = {
        name: sample_database(schema, 24, strings=corpus_strings(name))
        for name, schema in load_schemas().items()
    }
    total, translated, verified = Counter(), Counter(), Counter()
    times: list[float] = []
    failures: dict[str, list[str]] = defaultdict(list)
    for query in load_corpus():
        if families and query.family not in families:
            continue
        total[query.family] += 1
        start = time.perf_counter()
        try:
            translation = sql_to_ibis(query.sql, query.schema_tables, query.dialect)
        except Exception as exc:
            failures[query.family].append(f"{query.id}: {type(exc).__name__}: {exc}")
            continue
        times.append(time.perf_counter() - start)
        translated[query.family] += 1
        try:
            problem = _check(query, translation, connections)
        except Exception as exc:
            problem = f"check failed: {type(exc).__name__}: {exc}"
        if problem is None:
            verified[query.family] += 1
        else:
            failures[query.family].append(f"{query.id}: {problem}\n{translation.code}")
    for family in sorted(total):
        print(
            f"{family:18} {total[family]:4} translated {translated[family]:4} "
            f"verified {verified[family]:4}"
        )
    print(
        f"{'ALL':18} {sum(total.values()):4} translated {sum(translated.values()):4} "
        f"verified {sum(verified.values()):4}"
    )
    if times:
        print(
            f"translation p50 {statistics.median(times) * 1000:.1f} ms, "
            f"p90 {sorted(times)[int(len(times) * 0.9)] * 1000:.1f} ms"
        )
    if verbose:
        for family, items in failures.items():
            for item in items:
                print(f"--- [{family}] {item[:1500]}")


if __name__ == "__main__":
    main(sys.argv[1:])
