"""verify_pair over the SQL corpus: wide schemas (up to 8 tables) where a query reads one to three.

Run: python benchmarks/bench_verify_corpus.py [--queries 200]

Each corpus query is translated with sql_to_ibis (not timed), then verified in this process:
isolated functions run in place, as inside a worker, so the figures are the verifier's own work.
"in random_databases" is the time spent there (tables reach DuckDB later, when a query names
them); "verify_pair" is the whole verification, the figure to compare. Every query has its own
literals, so every pair generates its databases afresh, as in a build.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ibert_assets_tests.sql_corpus import load_corpus
from ibert_inference.sandbox import pool
from ibert_inference.translate import sql_to_ibis
from ibert_inference.verify import pair as verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    count = parser.parse_args().queries
    queries = [query for query in load_corpus() if not query.xfail][:count]
    pairs = [(q, sql_to_ibis(q.sql, q.schema_tables, q.dialect).code) for q in queries]
    generating = 0.0
    generate = verify.random_databases

    def timed_generate(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal generating
        start = time.perf_counter()
        try:
            return generate(*args, **kwargs)
        finally:
            generating += time.perf_counter() - start

    verify.random_databases = timed_generate  # type: ignore[assignment]
    pool.IN_WORKER = True
    totals, shares = [], []
    for query, code in pairs:
        generating = 0.0
        start = time.perf_counter()
        verdict = verify.verify_pair(query.sql, code, query.schema_tables, dialect=query.dialect)
        totals.append(time.perf_counter() - start)
        shares.append(generating)
        if verdict.status != "verified":
            raise SystemExit(f"{query.id}: {verdict.status}: {verdict.reason}")
    tables = statistics.mean(len(q.schema_tables) for q in queries)
    print(f"pairs: {len(pairs)} (schemas of {tables:.1f} tables on average)")
    for name, times in (("verify_pair", totals), ("  in random_databases", shares)):
        median_ms = statistics.median(times) * 1000
        print(f"{name:22s} median {median_ms:.1f} ms per pair, total {sum(times):.2f} s")


if __name__ == "__main__":
    main()
