"""``(VALUES (...), (...)) AS v(a, b)`` as an Ibis table of constants.

Ibis's ``memtable`` would compile to a reference to a table registered on a backend; an array of
structs unnested into a table compiles to self-contained SQL, so the code runs on any connection.
Each column takes the type of its non-NULL values, and its NULLs that type.

>>> from sqlglot import parse_one
>>> node = parse_one("SELECT * FROM (VALUES ('F', 1), ('O', NULL)) AS v(status, n)").args["from_"].this
>>> print(values_table(node).src)
ibis.array([ibis.struct({"status": "F", "n": 1}), ibis.struct({"status": "O", "n": ibis.null("int64")})]).unnest().name("v").as_table().unpack("v")
"""  # noqa: E501

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
from sqlglot import exp

from ibert_inference.translate.codegen import Code, py
from ibert_inference.translate.parse import unsupported


def _constant(node: exp.Expression) -> Any:
    """The Python value of a constant in a VALUES row (None for NULL)."""
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg):
        inner = _constant(node.this)
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = str(node.this)
        return int(text) if text.lstrip("-").isdigit() else float(text)
    if (
        isinstance(node, exp.Cast)
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and node.to.this == exp.DataType.Type.DATE
    ):
        return dt.date.fromisoformat(node.this.this)
    raise unsupported("VALUES with a value that is not a constant", node)


def _dtype(values: list[Any], node: exp.Expression) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int} and kinds:
        return "int64"
    if kinds <= {int, float} and kinds:
        return "float64"
    if kinds == {str}:
        return "string"
    if kinds == {bool}:
        return "boolean"
    if kinds == {dt.date}:
        return "date"
    raise unsupported("VALUES column without one type (or only NULLs)", node)


def _field(value: Any, dtype: str) -> tuple[str, Any]:
    if value is None:
        return f"ibis.null({py(dtype)})", ibis.null(dtype)
    if isinstance(value, dt.date):
        return f"ibis.date({py(value.isoformat())})", ibis.date(value.isoformat())
    if dtype == "float64":
        value = float(value)
    return py(value), value


def values_table(node: exp.Values) -> Code:
    """The VALUES list as ``ibis.array([ibis.struct({...}), ...]).unnest()...`` (a table)."""
    alias = node.args.get("alias")
    names = [c.name for c in alias.columns] if alias is not None and alias.columns else []
    rows = [
        list(row.expressions) if isinstance(row, exp.Tuple) else [row] for row in node.expressions
    ]
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise unsupported("VALUES rows of different lengths", node)
    names = names or [f"col{i}" for i in range(width)]
    if len(names) != width:
        raise unsupported("VALUES with a column list of another length", node)
    columns = [[_constant(row[i]) for row in rows] for i in range(width)]
    dtypes = [_dtype(values, node) for values in columns]
    structs_src, structs_val = [], []
    for r in range(len(rows)):
        fields = [_field(columns[i][r], dtypes[i]) for i in range(width)]
        body = ", ".join(
            f"{py(name)}: {src}" for name, (src, _v) in zip(names, fields, strict=True)
        )
        structs_src.append(f"ibis.struct({{{body}}})")
        structs_val.append(ibis.struct({n: v for n, (_s, v) in zip(names, fields, strict=True)}))
    name = alias.name if alias is not None and alias.name else "v"
    src = (
        f"ibis.array([{', '.join(structs_src)}]).unnest().name({py(name)})"
        f".as_table().unpack({py(name)})"
    )
    value = ibis.array(structs_val).unnest().name(name).as_table().unpack(name)
    return Code(src, value)
