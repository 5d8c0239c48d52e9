"""The function-semantics table (ibert_inference.translate.semantics), cell by cell on DuckDB.

For every function and dialect, the probe query is translated as that dialect and the Ibis
expression runs on DuckDB over probe rows chosen so that the behaviours differ (first vs every
regex match, NULL in CONCAT, -7 / 2, Sunday's number, NULL placement...). The answer must be the
dialect's, as the table states it; for DuckDB the table's claim is also checked against DuckDB
running the SQL itself.
"""

from __future__ import annotations

import duckdb
import ibis
import pytest

from ibert_inference.translate import sql_to_ibis
from ibert_inference.translate.semantics import (
    DIALECTS,
    PROBE_SCHEMA,
    SEMANTICS,
    FunctionSemantics,
    behaviour,
    cells,
)

SCHEMA = {"t": PROBE_SCHEMA}
DUCKDB_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "date": "DATE"}


def _connection(entry: FunctionSemantics) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    columns = ", ".join(f"{name} {DUCKDB_TYPES[dtype]}" for name, dtype in PROBE_SCHEMA.items())
    con.execute(f"CREATE TABLE t ({columns})")
    for row in entry.rows:
        values = [row.get(name) for name in PROBE_SCHEMA]
        con.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in values)})", values)
    return con


def _rounded(rows: list[tuple]) -> tuple[tuple[object, ...], ...]:
    return tuple(tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[tuple[object, ...], ...]:
    return _rounded(con.execute(sql).fetchall())


@pytest.mark.parametrize(
    ("entry", "dialect"),
    [pytest.param(e, d, id=f"{e.name}-{d}") for e, d in cells()],
)
def test_translation_answers_as_the_dialect_does(entry: FunctionSemantics, dialect: str) -> None:
    cell = entry.dialects[dialect]
    translation = sql_to_ibis(entry.probe(dialect), SCHEMA, dialect)
    answer = _fetch(_connection(entry), ibis.to_sql(translation.expr, dialect="duckdb"))
    if entry.handled == "warning" and cell.key != entry.dialects["duckdb"].key:
        # The Ibis code keeps Ibis's (DuckDB's) behaviour and says so.
        assert answer == entry.dialects["duckdb"].answer, translation.code
        assert any(dialect in w for w in translation.warnings), translation.warnings
    else:
        assert answer == cell.answer, f"{entry.name} in {dialect}:\n{translation.code}"


@pytest.mark.parametrize("entry", SEMANTICS, ids=[e.name for e in SEMANTICS])
def test_duckdb_cells_are_what_duckdb_answers(entry: FunctionSemantics) -> None:
    assert _fetch(_connection(entry), entry.probe("duckdb")) == entry.dialects["duckdb"].answer


@pytest.mark.parametrize("entry", SEMANTICS, ids=[e.name for e in SEMANTICS])
def test_every_function_covers_every_dialect_and_its_probe_tells_them_apart(
    entry: FunctionSemantics,
) -> None:
    assert set(entry.dialects) == set(DIALECTS)
    keys = {cell.key for cell in entry.dialects.values()}
    answers = {cell.key: cell.answer for cell in entry.dialects.values()}
    # Two behaviours must give two answers on the probe rows, or the probe proves nothing.
    assert len(set(answers.values())) == len(keys), entry.name
    assert entry.handled in {"translator", "sqlglot", "same", "warning"}


def test_table_is_read_for_dialects_it_covers_only() -> None:
    assert behaviour("regexp_replace", "duckdb") == "first_match"
    assert behaviour("regexp_replace", "tsql") is None


def test_regexp_replace_flags_replace_every_match_and_ignore_case() -> None:
    con = _connection(SEMANTICS[0])
    sql = "SELECT REGEXP_REPLACE(s, 'A', 'X', 'gi') AS v FROM t"
    translation = sql_to_ibis(sql, SCHEMA, "duckdb")
    assert _fetch(con, ibis.to_sql(translation.expr, dialect="duckdb")) == _fetch(con, sql)
    assert _fetch(con, sql) == (("bXnXnX",),)


def test_the_documentation_lists_every_function_of_the_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "sql_to_ibis.md").read_text(encoding="utf-8")
    for entry in SEMANTICS:
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{entry.name}`")), "")
        assert row, f"docs/sql_to_ibis.md has no row for {entry.name}"
        assert [cell.strip() for cell in row.split("|")[4:-1]] == [
            entry.dialects[d].key for d in DIALECTS
        ], f"docs/sql_to_ibis.md's row for {entry.name} differs from the table"
