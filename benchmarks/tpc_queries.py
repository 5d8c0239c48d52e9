"""Translate the official TPC-DS / TPC-H queries to Ibis and check each on generated data.

The query texts and the data come from DuckDB's ``tpcds`` / ``tpch`` extensions, exported once by
``benchmarks/tpc_export.py`` (it says how) into a folder outside git. For every query this script
translates the SQL with ``sql_to_ibis`` (schema from the exported tables), evaluates the returned
code with the safe evaluator (it must stand for the returned expression), runs the SQL and the
Ibis-compiled SQL on one DuckDB connection over the generated data, and compares the results as
the verifier does (multisets; order where the query orders, ties free). Run::

    python benchmarks/tpc_queries.py --data /tmp/tpc/tpcds [-v] [--only 16,41] [--verify]

``--verify`` also runs each translation through ``verify_pair`` (the project's own verifier, on
adversarial databases generated from the schema and the query's literals): evidence for the
queries that select nothing from the generated data at a small scale. It prints one line per
query that is not equal and the totals:
``tpcds: 99 queries, 99 translated, 99 execution-equal (0 refused, 0 crashed)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import sqlglot
from ibis.backends.sql.datatypes import DuckDBType

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference import UnsupportedSQLError
from ibert_inference.translate import sql_to_ibis
from ibert_inference.verify.compare import compare_results


@dataclass
class Outcome:
    query: str
    status: str  # equal | differs | refused | crashed
    detail: str = ""
    seconds: float = 0.0
    verdict: str | None = None  # verify_pair's status, with --verify


def load_schema(folder: Path) -> dict[str, dict[str, str]]:
    """Table -> column -> Ibis dtype string, from the exported DuckDB types."""
    raw = json.loads((folder / "schema.json").read_text())
    return {
        table: {column: str(DuckDBType.from_string(kind)) for column, kind in columns.items()}
        for table, columns in raw.items()
    }


def connect(folder: Path, schema: dict[str, dict[str, str]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in schema:
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{folder / table}.parquet')"
        )
    return con


def order_keys(
    tree: sqlglot.exp.Expression, names: list[str]
) -> tuple[bool, tuple[int, ...] | None]:
    """Whether the query orders its output, and the output positions of its ORDER BY keys."""
    node = tree.this if isinstance(tree, sqlglot.exp.Subquery) else tree
    order = node.args.get("order")
    if order is None:
        return False, ()
    lowered = [name.lower() for name in names]
    selects = node.selects if isinstance(node, sqlglot.exp.Select) else []
    positions: list[int] = []
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, sqlglot.exp.Literal) and key.is_int:
            positions.append(int(key.this) - 1)
        elif isinstance(key, sqlglot.exp.Column) and key.name.lower() in lowered:
            positions.append(lowered.index(key.name.lower()))
        else:
            matches = [i for i, s in enumerate(selects) if s.unalias() == key]
            if not matches:
                return True, None
            positions.append(matches[0])
    return True, tuple(positions)


def _named_as_translated(sql: str, expected: list[str], actual: list[str]) -> list[str]:
    """The SQL's output names, where the SQL names its outputs.

    An unnamed projection (``SUM(x)``) is named by each engine its own way (DuckDB: ``sum(x)``,
    Postgres: ``sum``); the translator gives it a readable name, so only its position counts.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    while isinstance(tree, sqlglot.exp.SetOperation | sqlglot.exp.Subquery):
        tree = tree.this
    selects = tree.selects if isinstance(tree, sqlglot.exp.Select) else []
    if len(selects) != len(expected) or len(actual) != len(expected):
        return expected
    return [
        name if isinstance(s, sqlglot.exp.Alias | sqlglot.exp.Column) else translated
        for s, name, translated in zip(selects, expected, actual, strict=True)
    ]


def check(name: str, sql: str, schema: dict, con: duckdb.DuckDBPyConnection) -> Outcome:
    start = time.perf_counter()
    try:
        translation = sql_to_ibis(sql, schema)
    except UnsupportedSQLError as exc:
        return Outcome(name, "refused", str(exc))
    except Exception as exc:  # what the benchmark exists to find
        return Outcome(name, "crashed", f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    compiled = ibis.to_sql(translation.expr, dialect="duckdb")
    try:
        evaluated = evaluate_ibis(translation.code, schema)
    except Exception as exc:
        return Outcome(name, "crashed", f"the code does not evaluate: {exc}\n{translation.code}")
    if ibis.to_sql(evaluated, dialect="duckdb") != compiled:
        return Outcome(name, "differs", f"the code is not the expression\n{translation.code}")
    expected_cursor = con.execute(sql)
    expected = ([c[0] for c in expected_cursor.description], expected_cursor.fetchall())
    actual_cursor = con.execute(compiled)
    actual = ([c[0] for c in actual_cursor.description], actual_cursor.fetchall())
    expected = (_named_as_translated(sql, expected[0], actual[0]), expected[1])
    ordered, keys = order_keys(sqlglot.parse_one(sql, read="duckdb"), list(expected[0]))
    limited = bool(sqlglot.parse_one(sql, read="duckdb").args.get("limit"))
    reason = compare_results(
        expected,
        actual,
        ordered=ordered and keys is not None,
        sort_key_columns=keys or (),
        limited=limited,
    )
    if reason is not None:
        return Outcome(name, "differs", f"{reason}\n{translation.code}", seconds)
    rows = len(expected[1])
    return Outcome(name, "equal", f"{rows} rows", seconds)


def verify(sql: str, schema: dict) -> str:
    from ibert_inference.verify.pair import verify_pair

    verdict = verify_pair(sql, sql_to_ibis(sql, schema).code, schema)
    return verdict.status if verdict.ok else f"{verdict.status}: {verdict.reason}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="an exported benchmark folder")
    parser.add_argument("--only", help="comma-separated query numbers")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each query's result")
    parser.add_argument("--verify", action="store_true", help="also verify_pair each translation")
    args = parser.parse_args()
    schema = load_schema(args.data)
    con = connect(args.data, schema)
    wanted = {int(n) for n in args.only.split(",")} if args.only else None
    outcomes: list[Outcome] = []
    for path in sorted((args.data / "queries").glob("*.sql")):
        if wanted is not None and int(path.stem) not in wanted:
            continue
        sql = path.read_text().strip().rstrip(";")
        outcome = check(f"q{path.stem}", sql, schema, con)
        if args.verify and outcome.status == "equal":
            outcome.verdict = verify(sql, schema)
        outcomes.append(outcome)
        if outcome.status != "equal" or args.verbose:
            print(f"{outcome.query}: {outcome.status}: {outcome.detail[:2000]}")
    counts = {
        s: sum(o.status == s for o in outcomes) for s in ("equal", "differs", "refused", "crashed")
    }
    translated = counts["equal"] + counts["differs"]
    empty = sum(o.status == "equal" and o.detail == "0 rows" for o in outcomes)
    print(
        f"{args.data.name}: {len(outcomes)} queries, {translated} translated, {counts['equal']} "
        f"execution-equal ({empty} of them empty), {counts['refused']} refused, "
        f"{counts['crashed']} crashed"
    )
    if args.verify:
        verdicts = [o.verdict for o in outcomes if o.verdict is not None]
        for o in outcomes:
            if o.verdict not in (None, "verified"):
                print(f"{o.query}: verify_pair: {o.verdict[:300]}")
        print(f"verify_pair: {verdicts.count('verified')} of {len(verdicts)} verified")
    times = [o.seconds for o in outcomes if o.seconds]
    if times:
        print(
            f"translation median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
