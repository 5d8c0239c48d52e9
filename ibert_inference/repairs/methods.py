"""Repairs of how Ibis methods are called: a method read without ``()``, pandas-style sort
keywords, a data type written as a bare name.

>>> fix_uncalled_method("t.mutate(y=_.created_at.year)", ErrorInfo(""), None).code
't.mutate(y=_.created_at.year())'
>>> fix_sort_keywords('t.sort_values("amount", ascending=False)', ErrorInfo(""), None).code
"t.order_by(ibis.desc('amount'))"
>>> fix_unquoted_dtype("t.mutate(a=_.b.cast(int64))", ErrorInfo(""), None).code
"t.mutate(a=_.b.cast('int64'))"
"""

from __future__ import annotations

import ast
import inspect
from functools import lru_cache
from typing import Any

from ibert_inference.repairs.edits import (
    ErrorInfo,
    Repair,
    Span,
    attribute_name_span,
    is_module_call,
    parse_or_none,
    splice,
    unique,
)
from ibert_inference.schema.tables import Schema

_SORT_METHODS = frozenset({"order_by", "sort_by", "sort_values", "sort", "orderBy", "sortBy"})
_CAST_METHODS = frozenset({"cast", "try_cast"})
# Methods that take no argument but are no expression to build: running, exporting, inspecting.
_NOT_BUILDING = frozenset({
    "bind", "cache", "compile", "describe", "execute", "get_backend", "get_name", "info", "op",
    "preview", "schema", "type", "unbind", "visualize",
})  # fmt: skip


def fix_uncalled_method(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """An Ibis method read as an attribute (``_.ts.year``) is called (``_.ts.year()``).

    Only methods that need no argument, and never a name that is a column of the schema.
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    columns = {column for table in (schema or {}).values() for column in table}
    called = {
        id(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    methods = methods_without_arguments()
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in called:
            continue
        if node.attr not in methods or node.attr in columns or is_module_call(node):
            continue
        if isinstance(node.value, ast.Name) and node.value.id != "_" and not schema:
            continue  # `orders.count` without a schema: may well be a column
        span = attribute_name_span(node)
        edits.append((span, f"{node.attr}()"))
        changes.append(f"`.{node.attr}` -> `.{node.attr}()`: it is a method (line {span.lineno})")
    if not edits:
        return None
    return Repair(splice(code, edits), unique(changes))


def fix_sort_keywords(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """pandas' ``sort_values("a", ascending=False)`` becomes ``order_by(ibis.desc("a"))``.

    Directions are kept key by key (``ascending=[True, False]``); ``by=`` names the keys.
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _SORT_METHODS:
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        if "ascending" not in keywords and "by" not in keywords and node.func.attr == "order_by":
            continue
        keys = _sort_arguments(node, keywords)
        if keys is None:
            continue
        start = attribute_name_span(node.func)
        span = Span(start.lineno, start.col_offset, node.end_lineno or 0, node.end_col_offset or 0)
        edits.append((span, f"order_by({', '.join(keys)})"))
        old = ast.unparse(ast.Call(ast.Name(node.func.attr), node.args, node.keywords))
        changes.append(f"`.{old}` -> `.order_by({', '.join(keys)})` (line {node.lineno})")
    if not edits:
        return None
    return Repair(splice(code, edits), changes)


def fix_unquoted_dtype(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A data type written as a bare name (``cast(int64)``) becomes a string (``cast('int64')``).

    Names given to ``cast``/``try_cast``, and a name the error says is not defined when it is
    an Ibis data type and no table of the schema.
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    tables = set(schema or {})
    assigned = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    cast_arguments = {
        id(argument)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _CAST_METHODS
        for argument in node.args[:1]
    }
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        if node.id in tables or node.id in assigned or not _is_dtype(node.id):
            continue
        if (
            id(node) not in cast_arguments
            and f"name '{node.id}' is not defined" not in error.message
        ):
            continue
        edits.append((node, repr(node.id)))
        changes.append(
            f"type {node.id} -> {node.id!r}: Ibis names types as strings (line {node.lineno})"
        )
    if not edits:
        return None
    return Repair(splice(code, edits), unique(changes))


@lru_cache(maxsize=1)
def methods_without_arguments() -> frozenset[str]:
    """Public methods of Ibis tables and values that build an expression from no argument."""
    import ibis.expr.types as ir

    kinds = [getattr(ir, name) for name in dir(ir) if name.endswith(("Column", "Value", "Scalar"))]
    names = set()
    for kind in [*kinds, ir.Table]:
        for name, member in inspect.getmembers(kind, inspect.isfunction):
            if name.startswith(("_", "to_")) or name in _NOT_BUILDING:
                continue
            try:
                parameters = list(inspect.signature(member).parameters.values())[1:]
            except (TypeError, ValueError):
                continue
            if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in parameters):  # fmt: skip
                names.add(name)
    return frozenset(names)


def _sort_arguments(call: ast.Call, keywords: dict[str | None, ast.expr]) -> list[str] | None:
    """The keys as ``order_by`` arguments, descending ones wrapped in ``ibis.desc``."""
    keys: list[ast.expr] = []
    for argument in [*call.args, *([keywords["by"]] if "by" in keywords else [])]:
        keys += argument.elts if isinstance(argument, ast.List | ast.Tuple) else [argument]
    if not keys or set(keywords) - {"by", "ascending"}:
        return None
    ascending = keywords.get("ascending")
    if ascending is None:
        flags = [True] * len(keys)
    elif isinstance(ascending, ast.Constant) and isinstance(ascending.value, bool):
        flags = [ascending.value] * len(keys)
    elif isinstance(ascending, ast.List | ast.Tuple) and len(ascending.elts) == len(keys):
        if not all(
            isinstance(e, ast.Constant) and isinstance(e.value, bool) for e in ascending.elts
        ):
            return None
        flags = [bool(e.value) for e in ascending.elts]  # type: ignore[attr-defined]
    else:
        return None
    return [
        ast.unparse(key) if up else f"ibis.desc({ast.unparse(key)})"
        for key, up in zip(keys, flags, strict=True)
    ]


@lru_cache(maxsize=256)
def _is_dtype(name: str) -> bool:
    import ibis

    try:
        ibis.dtype(name)
    except Exception:  # Ibis raises several types for a name that is no type
        return False
    return True
