"""Schemas: table -> column -> Ibis dtype string, the one shape every part of iBERT passes around.

>>> parse_schema_text("id: int64, name: string", table_name="users")
{'users': {'id': 'int64', 'name': 'string'}}
>>> parse_schema_text('{"t": {"x": "float64"}}')
{'t': {'x': 'float64'}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from ibert_inference.errors import SchemaError
from ibert_inference.sandbox.bounds import check_schema_size

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt
    import ibis.expr.types as ir

Schema = Mapping[str, Mapping[str, str]]
"""table -> column -> Ibis dtype string (``"int64"``, ``"decimal(15, 2)"``, ``"date"``)."""


@lru_cache(maxsize=1024)
def parse_dtype(dtype: str) -> dt.DataType:
    """Parse an Ibis dtype string, raising :class:`SchemaError` that names it when unknown."""
    import ibis.expr.datatypes as dt

    try:
        return dt.dtype(dtype)
    except Exception:
        raise SchemaError(
            f"unknown dtype {dtype!r}: use an Ibis dtype string such as 'int64', 'float64', "
            "'decimal(15, 2)', 'string', 'boolean', 'date', 'timestamp', 'array<int64>'"
        ) from None


def validate_schema(schema: Schema, *, where: str = "schema") -> dict[str, dict[str, str]]:
    """Check every table has columns and every dtype parses; return a plain-dict copy."""
    if not isinstance(schema, Mapping) or not schema:
        raise SchemaError(
            f"{where}: expected a mapping of table -> column -> dtype, got {schema!r}"
        )
    check_schema_size(schema)
    checked: dict[str, dict[str, str]] = {}
    for table, columns in schema.items():
        if str(table).startswith("__"):
            raise SchemaError(
                f"{where}: the table name {str(table)[:60]!r} is reserved (dunder names are the "
                "evaluator's own): choose another name"
            )
        if not isinstance(columns, Mapping) or not columns:
            raise SchemaError(f"{where}: table {table!r} has no columns; give column: dtype pairs")
        for column, dtype in columns.items():
            if not isinstance(dtype, str):
                raise SchemaError(
                    f"{where}: {table}.{column} has dtype {dtype!r}; expected a string"
                )
            try:
                parse_dtype(dtype)
            except SchemaError as exc:
                raise SchemaError(f"{where}: {table}.{column}: {exc}") from None
        checked[str(table)] = {str(c): str(d) for c, d in columns.items()}
    return checked


def ibis_tables(schema: Schema) -> dict[str, ir.Table]:
    """Unbound Ibis tables, one per schema table, named after it."""
    import ibis

    check_schema_size(schema)
    return {
        name: ibis.table({col: parse_dtype(dtype) for col, dtype in columns.items()}, name=name)
        for name, columns in schema.items()
    }


def parse_schema_text(text: str, *, table_name: str = "t") -> dict[str, dict[str, str]]:
    """Parse the CLI's schema forms: JSON ``{"table": {"col": "dtype"}}`` or ``"col: dtype, ..."``.

    The second form (the seed's) describes one table, named ``table_name``. Commas inside
    parentheses or angle brackets (``decimal(15, 2)``, ``struct<a: int64>``) do not split.
    """
    text = text.strip()
    if not text:
        raise SchemaError(
            'empty schema: give "col: dtype, ..." or JSON {"table": {"col": "dtype"}}'
        )
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(
                f"schema JSON is invalid at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        return validate_schema(data)
    columns: dict[str, str] = {}
    for part in _split_top_level(text):
        name, sep, dtype = part.partition(":")
        if not sep or not name.strip() or not dtype.strip():
            raise SchemaError(f"schema entry {part.strip()!r} is not 'column: dtype'")
        columns[name.strip()] = dtype.strip()
    return validate_schema({table_name: columns})


def _split_top_level(text: str) -> list[str]:
    current: list[str]
    parts, depth, current = [], 0, []
    for char in text:
        if char in "(<[":
            depth += 1
        elif char in ")>]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]
