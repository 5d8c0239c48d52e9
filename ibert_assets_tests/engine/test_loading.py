"""Generated rows reach DuckDB as one query parameter and a cast, as Arrow would give them."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from ibert_inference.schema.tables import parse_dtype
from ibert_inference.verify.loading import _arrow_table, load_table, load_through_parameters
from ibert_inference.verify.query_literals import QueryLiterals
from ibert_inference.verify.table_rows import table_rows

EVERY_KIND = {
    "id": "int64",
    "small": "int16",
    "count": "uint32",
    "name": "string",
    "price": "decimal(12, 3)",
    "ratio": "float64",
    "paid": "boolean",
    "day": "date",
    "at": "timestamp",
    "at_utc": "timestamp('UTC')",
    "tags": "array<string>",
    "point": "struct<x: int64, label: string>",
    "nested": "array<struct<k: decimal(5, 1)>>",
    "clock": "time",
}


def _rows(cursor, sql: str) -> list[tuple]:
    return sorted(cursor.execute(sql).fetchall(), key=repr)


@pytest.mark.parametrize("null_rate", [0.0, 0.5, 1.0])
def test_every_kind_of_column_loads_as_arrow_would_load_it(null_rate: float) -> None:
    dtypes = {column: parse_dtype(text) for column, text in EVERY_KIND.items()}
    records = table_rows(dtypes, random.Random(3), QueryLiterals(), 40, null_rate, False, 1.0)
    con = duckdb.connect()
    load_through_parameters(con, "loaded", dtypes, records)
    con.register("arrow", _arrow_table(dtypes, records))
    assert _rows(con, "SELECT * FROM loaded") == _rows(con, "SELECT * FROM arrow")
    types = "SELECT " + ", ".join(f'typeof("{c}")' for c in EVERY_KIND) + " FROM {} LIMIT 1"
    assert (
        con.execute(types.format("loaded")).fetchall()
        == con.execute(types.format("arrow")).fetchall()
    )


def test_a_naive_time_in_a_zoned_column_is_utc_whatever_the_session_zone() -> None:
    dtypes = {"moment": parse_dtype("timestamp('UTC')")}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    load_through_parameters(con, "t", dtypes, [{"moment": dt.datetime(2024, 1, 1, 12)}])
    assert con.execute("SELECT epoch(moment) FROM t").fetchone() == (1704110400.0,)


def test_maps_and_odd_names_load_too() -> None:
    dtypes = {'we"ird col': parse_dtype("map<int64, string>"), "x": parse_dtype("int64")}
    con = duckdb.connect()
    load_table(con, 'odd "table"', dtypes, [{'we"ird col': {1: "a"}, "x": 2}])
    assert con.execute('SELECT "we""ird col"[1], x FROM "odd ""table"""').fetchall() == [("a", 2)]


def test_a_first_row_of_nulls_does_not_type_the_columns() -> None:
    # the mostly-NULL database often starts with a row of NULLs; as one list of row structs,
    # DuckDB typed the rows by it and the next value failed to cast
    dtypes = {"key": parse_dtype("int64"), "value": parse_dtype("int64")}
    records = [{"key": None, "value": None}, {"key": 7, "value": None}, {"key": 42, "value": 3}]
    con = duckdb.connect()
    load_through_parameters(con, "t", dtypes, records)
    assert con.execute("SELECT key, value, typeof(key) FROM t").fetchall() == [
        (None, None, "BIGINT"),
        (7, None, "BIGINT"),
        (42, 3, "BIGINT"),
    ]
