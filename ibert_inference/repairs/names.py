"""Repairs of names: misspelt columns and methods, columns of the wrong table."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ibert_inference.repairs.edits import (
    ErrorInfo,
    Repair,
    attribute_name_span,
    ibis_method_names,
    is_method_call,
    is_module_call,
    parse_or_none,
    splice,
    unique,
)
from ibert_inference.schema.tables import Schema

_QUOTED = re.compile(r"""['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
_JOINS = {"join", "inner_join", "left_join", "right_join", "outer_join", "semi_join", "anti_join"}
_CHAIN_METHODS = frozenset({"agg", "aggregate", "select", "mutate", "order_by", "filter", "having"})


def fix_unknown_column(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A column name not in the schema becomes the closest schema column (difflib).

    >>> schema = {"t": {"amount": "float64"}}
    >>> fix_unknown_column("t.amout.sum()", ErrorInfo("'Table' object has no attribute 'amout'"),
    ...                    schema).changes
    ["column 'amout' -> 'amount' (line 1)"]
    """
    if not schema:
        return None
    tree = parse_or_none(code)
    if tree is None:
        return None
    columns = sorted({column for table in schema.values() for column in table})
    known = set(columns) | set(schema) | ibis_method_names()
    wanted = [name for name in _QUOTED.findall(error.message) if name not in known]
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node, name in _column_mentions(tree):
        if name in known or (wanted and name not in wanted):
            continue
        match = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
        if not match:
            continue
        if isinstance(node, ast.Attribute):
            edits.append((attribute_name_span(node), match[0]))
        else:
            edits.append((node, repr(match[0])))
        changes.append(f"column {name!r} -> {match[0]!r} (line {getattr(node, 'end_lineno', 1)})")
    if not edits:
        return None
    return Repair(splice(code, edits), unique(changes))


def fix_misspelled_method(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A called method Ibis does not have becomes the closest Ibis method name.

    >>> fix_misspelled_method("t.groupby('a').agg(n=_.count())", ErrorInfo(""), None).code
    "t.group_by('a').agg(n=_.count())"
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    methods = ibis_method_names()
    columns = {column for table in (schema or {}).values() for column in table}
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attribute = node.func
        name = attribute.attr
        if name in methods or name in columns or is_module_call(attribute):
            continue
        match = _closest_method(name, methods)
        if match is None:
            continue
        edits.append((attribute_name_span(attribute), match))
        changes.append(f"method {name!r} -> {match!r} (line {attribute.end_lineno})")
    if not edits:
        return None
    return Repair(splice(code, edits), unique(changes))


def fix_aggregate_of_other_table(
    code: str, error: ErrorInfo, schema: Schema | None
) -> Repair | None:
    """Columns of the base table used in a method of a derived table become ``_`` references.

    >>> fix_aggregate_of_other_table(
    ...     "t.filter(_.x > 1).group_by('g').agg(s=t.x.sum())", ErrorInfo(""), None).code
    "t.filter(_.x > 1).group_by('g').agg(s=_.x.sum())"
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _CHAIN_METHODS or not isinstance(node.func.value, ast.Call):
            continue
        root = _chain_root(node.func.value)
        if root is None:
            continue
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            for inner in ast.walk(argument):
                if isinstance(inner, ast.Attribute | ast.Subscript) and _is_name(inner.value, root):
                    segment = ast.get_source_segment(code, inner)
                    if segment is None:
                        continue
                    edits.append((inner.value, "_"))
                    changes.append(
                        f"`{segment}` -> `_{segment[len(root) :]}`: the {node.func.attr} works on "
                        f"the derived table, not {root!r} (line {inner.lineno})"
                    )
    if not edits:
        return None
    return Repair(splice(code, edits), changes)


def fix_join_key(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A join key a table does not have becomes the key column that table does have.

    In ``a.x == b.y`` where ``b`` has no ``y``: the column of ``b`` named like the other side
    (``x``), else ``<b singular>_id`` for ``id`` (``customers.id`` -> ``customers.customer_id``),
    else ``id`` for ``<b singular>_id``.

    >>> schema = {"orders": {"id": "int64", "customer_id": "int64"},
    ...           "customers": {"customer_id": "int64", "name": "string"}}
    >>> fix_join_key("orders.join(customers, orders.customer_id == customers.id)",
    ...              ErrorInfo(""), schema).code
    'orders.join(customers, orders.customer_id == customers.customer_id)'
    """
    if not schema:
        return None
    tree = parse_or_none(code)
    if tree is None:
        return None
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not is_method_call(node, _JOINS):
            continue
        for compare in ast.walk(node):
            if not (isinstance(compare, ast.Compare) and len(compare.ops) == 1):
                continue
            sides = [compare.left, compare.comparators[0]]
            for side, other in (sides, sides[::-1]):
                table, column = _table_column(side)
                if not isinstance(side, ast.Attribute) or table is None or table not in schema:
                    continue
                if column in schema[table]:
                    continue
                key = _key_column(column, table, _table_column(other)[1], schema[table])
                if key is None:
                    continue
                edits.append((attribute_name_span(side), key))
                changes.append(
                    f"join key {table}.{column} -> {table}.{key}: {table} has no {column} "
                    f"(line {side.lineno})"
                )
    if not edits:
        return None
    return Repair(splice(code, edits), unique(changes))


def _table_column(node: ast.AST) -> tuple[str | None, str | None]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None, None


def _key_column(
    missing: str | None, table: str, other: str | None, columns: Mapping[str, str]
) -> str | None:
    singular = table[:-1] if table.endswith("s") else table
    candidates = [other]
    if missing == "id":
        candidates += [f"{singular}_id", f"{table}_id"]
    if missing and missing.endswith("_id"):
        candidates.append("id")
    return next((c for c in candidates if c and c in columns), None)


def _column_mentions(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Attribute reads that are not method calls, and string keys of ``t["x"]``/``select("x")``."""
    called = {
        id(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in called:
            if not is_module_call(node):
                yield node, node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if isinstance(node.slice.value, str):
                yield node.slice, node.slice.value
        elif is_method_call(node, {"select", "group_by", "order_by", "drop", "distinct"}):
            for argument in node.args:  # type: ignore[attr-defined]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    yield argument, argument.value


def _chain_root(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return None if node.id in {"_", "ibis", "s"} else node.id
        else:
            return None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _closest_method(name: str, methods: frozenset[str]) -> str | None:
    squashed = name.replace("_", "").lower()
    for method in sorted(methods):
        if method.replace("_", "").lower() == squashed:
            return method  # groupby -> group_by, orderBy -> order_by
    match = difflib.get_close_matches(name, sorted(methods), n=1, cutoff=0.75)
    return match[0] if match else None
