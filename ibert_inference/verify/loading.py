"""Handing generated rows to DuckDB as a table: Arrow when pandas is paid for, NumPy before.

The rows of a generated table are Python values (ints, Decimals, dates, lists, dicts). Arrow
carries them to DuckDB fastest (~2 ms of CPU a table), but ``pyarrow.array`` imports pandas on
its first call (~0.4 s), more than the rest of a one-off verification (``ibert to-sql``)
together. So a process loads its first tables through NumPy object arrays, which DuckDB scans
itself, inferring each column's type from the values, then casts each column to its declared
type (~5.5 ms a table); once it has loaded enough tables that pandas would have paid for
itself, or when pandas is already imported, it uses Arrow. Both give the same table, types
included. Map columns always take Arrow: DuckDB reads a Python dict with non-string keys as a
MAP of strings.

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
from typing import Any

# Loads through NumPy before Arrow's one-off pandas import (~0.4 s) costs less than their extra
# ~3.5 ms each
NUMPY_LOADS = 100
_loads = itertools.count()


def load_table(
    cursor: Any, name: str, dtypes: Mapping[str, Any], records: list[dict[str, Any]]
) -> None:
    """Create table ``name`` (a temporary one, on ``cursor``) holding ``records``."""
    arrow_paid = "pandas" in sys.modules or next(_loads) >= NUMPY_LOADS
    if arrow_paid or any(_has_map(dtype) for dtype in dtypes.values()):
        cursor.register(name, _arrow_table(dtypes, records))
        return
    load_through_numpy(cursor, name, dtypes, records)


def load_through_numpy(
    cursor: Any, name: str, dtypes: Mapping[str, Any], records: list[dict[str, Any]]
) -> None:
    """:func:`load_table` without pyarrow (nor pandas): DuckDB scans NumPy object arrays."""
    import numpy as np
    from ibis.backends.sql.datatypes import DuckDBType

    scanned = f"{name}__rows"
    columns: dict[str, Any] = {}
    for column, dtype in dtypes.items():
        values = np.empty(len(records), dtype=object)
        values[:] = [_value(record[column], dtype) for record in records]
        columns[column] = values
    cursor.register(scanned, columns)
    casts = ", ".join(
        f"CAST({_quoted(column)} AS {_duckdb_type(dtype, DuckDBType)}) AS {_quoted(column)}"
        for column, dtype in dtypes.items()
    )
    try:
        cursor.execute(
            f"CREATE TEMP TABLE {_quoted(name)} AS SELECT {casts} FROM {_quoted(scanned)}"
        )
    finally:
        cursor.unregister(scanned)


def _duckdb_type(dtype: Any, types: Any) -> str:
    # Arrow carries Ibis's time as time64[ns], which DuckDB reads as TIME_NS
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
