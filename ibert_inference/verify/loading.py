"""Handing generated rows to DuckDB as a table: Arrow when pandas is paid for, parameters before.

The rows of a generated table are Python values (ints, Decimals, dates, lists, dicts). Arrow
carries them to DuckDB fastest (~2 ms of CPU a table), but ``pyarrow.array`` imports pandas on
its first call (~0.4 s), more than the rest of a one-off verification (``ibert to-sql``)
together. So a process loads its first tables as query parameters, a list per column: DuckDB
converts the lists itself, and a cast gives every column its declared type (~4 ms a table,
neither NumPy, pyarrow nor pandas imported). Once it has loaded enough tables
that pandas would have paid for itself, or when pandas is already imported, it uses Arrow. Both
give the same table, types included. Map columns always take Arrow: DuckDB reads a Python dict
with int keys as a MAP of strings.

>>> import duckdb
>>> from ibert_inference.schema.tables import parse_dtype
>>> con = duckdb.connect()
>>> types = {"n": parse_dtype("int64"), "price": parse_dtype("decimal(10, 2)")}
>>> load_table(con, "t", types, [{"n": 1, "price": None}])
>>> con.execute("SELECT typeof(n), typeof(price) FROM t").fetchall()
[('BIGINT', 'DECIMAL(10,2)')]
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# Loads as parameters before Arrow's one-off pandas import (~0.4 s) costs less than their extra
# ~2 ms each
PARAMETER_LOADS = 200
_loads = itertools.count()


def load_table(
    cursor: Any, name: str, dtypes: Mapping[str, Any], records: list[dict[str, Any]]
) -> None:
    """Create table ``name`` (a temporary one, on ``cursor``) holding ``records``."""
    arrow_paid = "pandas" in sys.modules or next(_loads) >= PARAMETER_LOADS
    if arrow_paid or any(_has_map(dtype) for dtype in dtypes.values()):
        cursor.register(name, _arrow_table(dtypes, records))
        return
    load_through_parameters(cursor, name, dtypes, records)


def load_through_parameters(
    cursor: Any, name: str, dtypes: Mapping[str, Any], records: list[dict[str, Any]]
) -> None:
    """:func:`load_table` without pyarrow: each column is one parameter, a list cast to its type.

    Column by column, not as one list of row structs: DuckDB types a list of dicts by its first
    dict, and a first row of NULLs (the mostly-NULL database) made every later value fail to
    cast (``VARCHAR -> "NULL"``).
    """
    from ibis.backends.sql.datatypes import DuckDBType

    columns = ", ".join(
        f"unnest(CAST($c{i} AS {_duckdb_type(dtype, DuckDBType)}[])) AS {_quoted(column)}"
        for i, (column, dtype) in enumerate(dtypes.items())
    )
    values = {
        f"c{i}": [_value(r[column], dtype) for r in records]
        for i, (column, dtype) in enumerate(dtypes.items())
    }
    cursor.execute(f"CREATE TEMP TABLE {_quoted(name)} AS SELECT {columns}", values)


@lru_cache(maxsize=256)
def _duckdb_type(dtype: Any, types: Any) -> str:
    # Arrow carries Ibis's time as time64[ns], which DuckDB reads as TIME_NS; a few dtypes
    # recur in every table, and writing one through sqlglot costs ~1 ms in a fresh process
    return "TIME_NS" if dtype.is_time() else str(types.from_ibis(dtype).sql("duckdb"))


def _value(value: Any, dtype: Any) -> Any:
    # Arrow reads a naive datetime in a zoned column as UTC; DuckDB would read it in its session
    # time zone
    if isinstance(value, dt.datetime) and value.tzinfo is None and getattr(dtype, "timezone", None):
        return value.replace(tzinfo=dt.UTC)
    return value


def _has_map(dtype: Any) -> bool:
    if dtype.is_map():
        return True
    if dtype.is_array():
        return _has_map(dtype.value_type)
    if dtype.is_struct():
        return any(_has_map(field) for field in dtype.types)
    return False


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _arrow_table(dtypes: Mapping[str, Any], records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    arrays = [
        pa.array([r[column] for r in records], type=dtype.to_pyarrow())
        for column, dtype in dtypes.items()
    ]
    return pa.Table.from_arrays(arrays, names=list(dtypes))
