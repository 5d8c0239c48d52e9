"""Verification throughput beside the raw cost of the same SQL on the same databases.

Run: python benchmarks/bench_verify.py [--pairs 200]

"raw" executes the pair's SQL and the Ibis-compiled SQL on the same generated databases with DuckDB
alone (databases already built, SQL already compiled), handing DuckDB the text on each database
as a user running the queries would; verify_pair has DuckDB parse each side once and runs the
parsed statement on all its databases. "verify" is verify_pair end to end: safe
evaluation, compilation, generating the databases seeded with the pair's literals (every pair here
has its own literal, as in a template family, so the database cache does not help; a database's
tables are drawn and handed to DuckDB as far as the pair's queries read them), running both sides
and comparing. "verify, databases cached" verifies the same pair again, so generation drops out,
and so does compilation: a worker keeps the SQL of the expressions it compiled lately (the code
is respelled with a trailing newline, so that it is still evaluated).
"in this process" is verify_pair without its sandbox worker (``verify_pair.__wrapped__``): the
difference to "end to end" is what isolation costs. Medians over the pairs, in wall-clock
time, and means in CPU time (this process and its sandbox worker): on a shared machine the
wall-clock ratio moves with the load, the CPU ratio less. Each pair is measured raw and then
verified, one pair after the other, so that a busy spell of the machine weighs on both sides
of a ratio (measuring every pair raw first, then verifying them all, moved the CPU ratio by
+-0.2 from run to run under a load of 5).
"""

from __future__ import annotations

import argparse
import statistics
import time

import ibis
from cpu_time import process_tree_cpu

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.sandbox import pool
from ibert_inference.verify.databases import query_literals, random_databases
from ibert_inference.verify.pair import verify_pair

SCHEMA = {
    "orders": {"id": "int64", "customer_id": "int64", "amount": "decimal(10, 2)",
               "status": "string", "ordered_on": "date"},
    "customers": {"id": "int64", "name": "string", "city": "string"},
}  # fmt: skip
SHAPES = [
    ("SELECT id, amount FROM orders WHERE amount > {n}",
     "orders.filter(_.amount > {n}).select('id', 'amount')"),
    ("SELECT status, COUNT(*) AS n, SUM(amount) AS total FROM orders WHERE id > {n} "
     "GROUP BY status",
     "orders.filter(_.id > {n}).group_by('status').agg(n=_.count(), total=_.amount.sum())"),
    ("SELECT c.name, SUM(o.amount) AS total FROM orders o JOIN customers c "
     "ON o.customer_id = c.id WHERE o.amount > {n} GROUP BY c.name",
     "orders.filter(_.amount > {n}).join(customers, _.customer_id == customers.id)"
     ".group_by('name').agg(total=_.amount.sum())"),
    ("SELECT id, amount, RANK() OVER (PARTITION BY status ORDER BY amount) AS r FROM orders "
     "WHERE amount < {n}",
     "orders.filter(_.amount < {n}).select('id', 'amount', "
     "r=ibis.rank().over(group_by='status', order_by='amount') + 1)"),
]  # fmt: skip


WARM_PAIRS = 60


def pairs(count: int, first_literal: int = 10) -> list[tuple[str, str]]:
    """``count`` pairs, the shapes in turn, each with a literal of its own from ``first_literal``
    on (50 of them: the pairs after those repeat them)."""
    return [
        (sql.format(n=first_literal + i % 50), code.format(n=first_literal + i % 50))
        for i in range(count)
        for sql, code in [SHAPES[i % len(SHAPES)]]
    ]


def raw_seconds(sql: str, code: str) -> tuple[float, float]:
    compiled = str(ibis.to_sql(evaluate_ibis(code, SCHEMA), dialect="duckdb"))
    databases = random_databases(SCHEMA, literals=query_literals(sql))
    connections = [database.connection for database in databases]  # every table registered
    start, cpu = time.perf_counter(), process_tree_cpu()
    for connection in connections:
        connection.execute(sql).fetchall()
        connection.execute(compiled).fetchall()
    return time.perf_counter() - start, process_tree_cpu() - cpu


def verify_seconds(sql: str, code: str) -> tuple[float, float]:
    start, cpu = time.perf_counter(), process_tree_cpu()
    verdict = verify_pair(sql, code, SCHEMA)
    elapsed = time.perf_counter() - start, process_tree_cpu() - cpu
    assert verdict.ok, verdict.reason
    return elapsed


def in_process_seconds(sql: str, code: str) -> tuple[float, float]:
    """verify_pair without the sandbox worker: what isolation costs is the difference."""
    start, cpu = time.perf_counter(), process_tree_cpu()
    pool.IN_WORKER = True  # the worker-only helpers run here, as they would in a worker
    try:
        verdict = verify_pair.__wrapped__(sql, code, SCHEMA)
    finally:
        pool.IN_WORKER = False
    elapsed = time.perf_counter() - start, process_tree_cpu() - cpu
    assert verdict.ok, verdict.reason
    return elapsed


def _median_ms(times: list[tuple[float, float]], which: int) -> float:
    """Median wall-clock ms; for CPU the mean (a worker's CPU time is read in 10 ms ticks)."""
    if which == 1:
        return statistics.mean(t[which] for t in times) * 1e3
    return statistics.median(t[which] for t in times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()
    work = pairs(args.pairs)
    # warm: imports, ibis and sqlglot caches, and the worker's switch from loading tables as
    # query parameters to Arrow (after loading.PARAMETER_LOADS tables, ~5 a pair here): the
    # build's workers verify thousands of pairs, so the steady state is what counts
    for sql, code in pairs(WARM_PAIRS, first_literal=1000):
        verify_pair(sql, code, SCHEMA)
    raw, verify, cached, in_process = [], [], [], []
    for index, (sql, code) in enumerate(work):
        raw.append(raw_seconds(sql, code))
        verify.append(verify_seconds(sql, code))
        cached.append(verify_seconds(sql, code + "\n"))
        # other literals than the pairs', so that their databases are not cached either
        in_process.append(in_process_seconds(*pairs(index + 1, first_literal=2000)[-1]))
    print(f"pairs: {len(work)} (5 databases each: 3 random, empty, nulls)")
    for which, unit in ((0, "wall"), (1, "CPU")):
        raw_ms, verify_ms = _median_ms(raw, which), _median_ms(verify, which)
        cached_ms, here_ms = _median_ms(cached, which), _median_ms(in_process, which)
        print(f"{unit}: raw DuckDB, SQL + compiled Ibis SQL: {raw_ms:.2f} ms per pair")
        print(f"{unit}: verify_pair end to end:              {verify_ms:.2f} ms per pair")
        print(f"{unit}: verify_pair in this process (no worker): {here_ms:.2f} ms per pair")
        print(f"{unit}: verify_pair, databases cached:       {cached_ms:.2f} ms per pair")
        print(
            f"{unit}: ratio verify / raw: {verify_ms / raw_ms:.2f}x (databases cached: "
            f"{cached_ms / raw_ms:.2f}x)"
        )


if __name__ == "__main__":
    main()
