"""A schema inferred from Ibis code: the tables it names, the columns it uses, their types.

The counterpart of ``infer_schema`` for Ibis source. A name the code reads but never assigns is
a table; ``_.col``, ``table.col``, ``table["col"]`` and column names given as strings to
``select``/``group_by``/``order_by`` are its columns; how a column is used hints at its type
(compared with a number, summed, ``.upper()``-ed, ``.year()``-ed, combined with ``&``). The code
is only parsed, never run.

>>> infer_ibis_schema("users.filter(_.age > 30).select('name')")
{'users': {'age': 'int64', 'name': 'string'}}
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter, defaultdict

from ibert_inference.schema.infer_sql import (
    SchemaInferenceError,
    schema_from_votes,
)

_NOT_TABLES = frozenset({"_", "ibis", *dir(builtins)})
_COLUMNS_AS_STRINGS = frozenset({"select", "group_by", "order_by", "drop", "distinct", "asc",
                                 "desc", "relocate"})  # fmt: skip
_DERIVED = frozenset({"mutate", "agg", "aggregate", "select", "rename", "group_by"})
_STRING_METHODS = frozenset({
    "upper", "lower", "strip", "lstrip", "rstrip", "length", "contains", "startswith",
    "endswith", "like", "ilike", "re_search", "re_extract", "re_replace", "replace", "substr",
    "left", "right", "capitalize", "split", "find", "lpad", "rpad", "concat", "reverse",
})  # fmt: skip
_NUMERIC_METHODS = frozenset({
    "sum", "mean", "round", "abs", "ceil", "floor", "log", "log10", "ln", "sqrt", "exp",
    "std", "var", "cumsum", "cummean", "clip", "negate", "sign", "median", "quantile",
})  # fmt: skip
_TEMPORAL_METHODS = frozenset({
    "year", "month", "day", "hour", "minute", "second", "quarter", "truncate", "date",
    "epoch_seconds", "strftime", "day_of_week", "day_of_year", "week_of_year", "delta",
})  # fmt: skip
_BOOLEAN_METHODS = frozenset({"ifelse", "negate_bool"})
_LITERAL_METHODS = frozenset({"isin", "notin", "between", "fill_null", "coalesce"})


def table_names(code: str) -> list[str]:
    """Names the code reads but never assigns (the tables it needs), in order of first use."""
    tree = _parse(code)
    assigned = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    loaded = sorted(
        (node.lineno, node.col_offset, node.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    )
    names: list[str] = []
    for _line, _column, name in loaded:
        if name not in assigned | _NOT_TABLES and name not in names:
            names.append(name)
    return names


def infer_ibis_schema(code: str, tables: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Tables -> columns -> Ibis dtype strings, from the code alone; sorted for stable output.

    ``tables`` names the tables when the caller knows them (a function's table parameters);
    by default every name the code reads but never assigns is one.
    """
    tree = _parse(code)
    tables = table_names(code) if tables is None else tables
    if not tables:
        raise SchemaInferenceError("the code reads no table (every name is assigned or ibis)")
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    table_methods = _table_methods()
    derived = {
        keyword.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _method(node) in _DERIVED
        for keyword in node.keywords
        if keyword.arg
    }
    columns: dict[str, set[str]] = defaultdict(set)
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)

    def add(table: str | None, name: str, node: ast.AST | None) -> None:
        if table is None or name in derived:
            return
        columns[table].add(name)
        if node is not None:
            votes[(table, name)].update(_hints(node, parents))

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = node.value.id
            parent = parents.get(node)
            called = isinstance(parent, ast.Call) and parent.func is node
            if owner == "_" and not (called and node.attr in table_methods):  # not _.count()
                add(_chain_table(node, parents, tables), node.attr, node)
            elif owner in tables and node.attr not in table_methods and not called:
                add(owner, node.attr, node)  # a called attribute is a method, never a column
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                owner = node.value.id
                table = _chain_table(node, parents, tables) if owner == "_" else owner
                add(table if table in tables else None, key.value, node)
        elif isinstance(node, ast.Call) and _method(node) in _COLUMNS_AS_STRINGS:
            table = _chain_table(node, parents, tables, start=node)
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    add(table, argument.value, None)
    return schema_from_votes(tables, columns, votes, "the code")


def _parse(code: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        problem = f"the code is not valid Python (line {exc.lineno}): {exc.msg}"
        raise SchemaInferenceError(problem) from None


def _table_methods() -> frozenset[str]:
    import ibis

    return frozenset(dir(ibis.table({"_probe": "int64"}, name="probe"))) - {"_probe"}


def _method(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _chain_table(
    node: ast.AST, parents: dict[ast.AST, ast.AST], tables: list[str], start: ast.AST | None = None
) -> str | None:
    """The table at the root of the method chain ``node`` is an argument of (or ``start``'s)."""
    call = start
    current = node
    while call is None:
        parent = parents.get(current)
        if parent is None:
            return tables[0] if len(tables) == 1 else None
        if isinstance(parent, ast.Call) and current is not parent.func:
            call = parent
        current = parent
    root: ast.AST = call
    while isinstance(root, ast.Call | ast.Attribute | ast.Subscript):
        root = root.func if isinstance(root, ast.Call) else root.value
    if isinstance(root, ast.Name) and root.id in tables:
        return root.id
    return tables[0] if len(tables) == 1 else None


def _hints(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Counter[str]:
    hints: Counter[str] = Counter()
    parent = parents.get(node)
    if isinstance(parent, ast.Attribute) and parent.value is node:
        method = parent.attr
        call = parents.get(parent)
        if method in _STRING_METHODS:
            hints["string"] += 2
        elif method in _NUMERIC_METHODS:
            hints["float64"] += 1
        elif method in _TEMPORAL_METHODS:
            hints["timestamp"] += 2
        elif method in _BOOLEAN_METHODS:
            hints["boolean"] += 3
        elif method in _LITERAL_METHODS and isinstance(call, ast.Call):
            for argument in call.args:
                values = argument.elts if isinstance(argument, ast.List | ast.Tuple) else [argument]
                for value in values:
                    hints.update(_literal(value))
    elif isinstance(parent, ast.Compare):
        for other in [parent.left, *parent.comparators]:
            if other is not node:
                hints.update(_literal(other))
    elif isinstance(parent, ast.BinOp):
        if isinstance(parent.op, ast.BitAnd | ast.BitOr | ast.BitXor):
            hints["boolean"] += 3
        else:
            other = parent.right if parent.left is node else parent.left
            hints.update(_literal(other) or Counter({"float64": 1}))
    elif _is_condition(node, parent):
        hints["boolean"] += 3
    return hints


def _is_condition(node: ast.AST, parent: ast.AST | None) -> bool:
    """``~col`` or ``t.filter(col)``: the column is a boolean."""
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Invert)
    return isinstance(parent, ast.Call) and _method(parent) == "filter" and node in parent.args


def _literal(node: ast.AST) -> Counter[str]:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if not isinstance(node, ast.Constant):
        return Counter()
    value = node.value
    if isinstance(value, bool):
        return Counter({"boolean": 3})
    if isinstance(value, int):
        return Counter({"int64": 2})
    if isinstance(value, float):
        return Counter({"float64": 2})
    if isinstance(value, str):
        return Counter({"string": 2})
    return Counter()
